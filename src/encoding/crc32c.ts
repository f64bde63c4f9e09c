/**
 * crc32c (Castagnoli), the checksum of LevelDB's blocks and records and of etcd's KV hash:
 * incremental, slicing-by-8; and LevelDB's masked form.
 */

/** Slicing-by-8 tables: T[0] is the classic byte table, T[k][i] = crc of byte i followed by k zeros. */
const T: Uint32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[0]![i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) t[k]![i] = (t[k - 1]![i]! >>> 8) ^ t[0]![t[k - 1]![i]! & 0xff]!;
  }
  return t;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = T as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];
const TABLE = T0;

/** Incremental crc32c. `crc` is the running value as returned by a previous call (start: 0). */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
  }
  for (; i < n; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** crc32c continued over the bytes of an ASCII string. */
export function crc32cAscii(s: string, crc: number): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < s.length; i++) c = TABLE[(c ^ s.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** LevelDB's masked crc32c (a stored checksum is never the plain crc of data that holds crcs). */
export function maskedCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
