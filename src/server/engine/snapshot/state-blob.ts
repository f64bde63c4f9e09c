/**
 * The state-machine snapshot a leader sends to a member that is behind its log: every MVCC (and
 * lease) key of the LevelDB database, the membership and the applied index they correspond to.
 *
 *   "ETSNAP1\n"  magic
 *   u32          length of the JSON header, then the header {appliedIndex, members}
 *   records      (u32 key length, key utf8, u32 value length, value) until the end
 *
 * The receiver checks the magic and that the records parse to the end; the transport carries a
 * sha256 of the whole blob.
 */
export const MAGIC = Buffer.from('ETSNAP1\n');

export interface StateBlob {
  appliedIndex: number;
  members: string;
  /** Database keys (with their prefixes, e.g. `mvcc/...`) and values. */
  records: [string, Uint8Array][];
}

export function encodeStateBlob(b: StateBlob): Buffer {
  const header = Buffer.from(JSON.stringify({ appliedIndex: b.appliedIndex, members: b.members }));
  let size = MAGIC.length + 4 + header.length;
  const keys = b.records.map(([k]) => Buffer.from(k, 'utf8'));
  b.records.forEach(([, v], i) => {
    size += 8 + keys[i]!.length + v.length;
  });
  const out = Buffer.allocUnsafe(size);
  let o = MAGIC.copy(out, 0);
  out.writeUInt32BE(header.length, o);
  o += 4;
  o += header.copy(out, o);
  b.records.forEach(([, v], i) => {
    const k = keys[i]!;
    out.writeUInt32BE(k.length, o);
    o += 4;
    o += k.copy(out, o);
    out.writeUInt32BE(v.length, o);
    o += 4;
    out.set(v, o);
    o += v.length;
  });
  return out;
}

export function decodeStateBlob(data: Uint8Array): StateBlob {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('snapshot blob: bad magic');
  }
  let o = MAGIC.length;
  const hlen = buf.readUInt32BE(o);
  o += 4;
  if (o + hlen > buf.length) throw new Error('snapshot blob: truncated header');
  const h = JSON.parse(buf.toString('utf8', o, o + hlen)) as { appliedIndex: number; members: string };
  o += hlen;
  const records: [string, Uint8Array][] = [];
  while (o < buf.length) {
    if (o + 4 > buf.length) throw new Error('snapshot blob: truncated record');
    const kl = buf.readUInt32BE(o);
    o += 4;
    if (o + kl + 4 > buf.length) throw new Error('snapshot blob: truncated record');
    const key = buf.toString('utf8', o, o + kl);
    o += kl;
    const vl = buf.readUInt32BE(o);
    o += 4;
    if (o + vl > buf.length) throw new Error('snapshot blob: truncated record');
    records.push([key, buf.subarray(o, o + vl)]);
    o += vl;
  }
  return { appliedIndex: h.appliedIndex, members: h.members, records };
}
