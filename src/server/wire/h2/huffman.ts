/**
 * HPACK's Huffman code (RFC 7541, Appendix B). The code is canonical: codes are assigned in order
 * of length, then of symbol, so the 257 code lengths below (symbols 0-255, then EOS) define it.
 *
 * Decoding walks the code four bits at a time through a table built once from those lengths
 * (one state per inner node of the code tree; no code is shorter than 5 bits, so a nibble emits at
 * most one symbol). A string is refused, as Go's hpack refuses it (x/net/http2/hpack
 * huffmanDecode: ErrInvalidHuffman), when it holds EOS, or ends in padding longer than 7 bits or
 * not all ones.
 */

// prettier-ignore
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;

/** The canonical codes: symbol -> code (as a number; the longest is 30 bits). */
function canonicalCodes(lengths: readonly number[]): number[] {
  const order = lengths.map((_, s) => s).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const codes = new Array<number>(lengths.length).fill(0);
  let code = 0;
  let len = lengths[order[0]!]!;
  for (let i = 0; i < order.length; i++) {
    const s = order[i]!;
    if (i > 0) {
      code = (code + 1) * 2 ** (lengths[s]! - len);
      len = lengths[s]!;
    }
    codes[s] = code;
  }
  return codes;
}

/** The code's tree: inner nodes are numbered from 0 (the root); a child is a node or a leaf (-1 - symbol). */
function buildTree(codes: readonly number[]): number[][] {
  const nodes: number[][] = [[0, 0]];
  const EMPTY = 0; // no node 0 is ever a child (it is the root), so 0 means "not set yet"
  for (let s = 0; s < codes.length; s++) {
    let n = 0;
    for (let b = CODE_LENGTHS[s]! - 1; b >= 0; b--) {
      const bit = Math.floor(codes[s]! / 2 ** b) % 2;
      if (b === 0) nodes[n]![bit] = -1 - s;
      else {
        if (nodes[n]![bit] === EMPTY) {
          nodes.push([0, 0]);
          nodes[n]![bit] = nodes.length - 1;
        }
        n = nodes[n]![bit]!;
      }
    }
  }
  return nodes;
}

/**
 * The nibble table: for state (inner node) n and nibble x, entry n * 16 + x packs the next state
 * (bits 0-8), the emitted symbol (bits 9-16, when FLAG_EMIT is set) and FLAG_FAIL (EOS was decoded).
 * ACCEPTING[n]: the bits walked from the root to n are all ones and fewer than 8 (valid padding).
 */
const FLAG_EMIT = 1 << 17;
const FLAG_FAIL = 1 << 18;
const codes = canonicalCodes(CODE_LENGTHS);
const tree = buildTree(codes);
const TABLE = new Int32Array(tree.length * 16);
const ACCEPTING = new Uint8Array(tree.length);
(function build() {
  // Depth and all-ones of each inner node, found by walking from the root.
  const depth = new Int32Array(tree.length).fill(-1);
  const ones = new Uint8Array(tree.length);
  depth[0] = 0;
  ones[0] = 1;
  const stack = [0];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const bit of [0, 1]) {
      const c = tree[n]![bit]!;
      if (c > 0) {
        depth[c] = depth[n]! + 1;
        ones[c] = ones[n]! & bit;
        stack.push(c);
      }
    }
  }
  for (let n = 0; n < tree.length; n++) {
    ACCEPTING[n] = ones[n] === 1 && depth[n]! <= 7 ? 1 : 0;
    for (let x = 0; x < 16; x++) {
      let s = n;
      let entry = 0;
      for (let b = 3; b >= 0; b--) {
        const c = tree[s]![(x >> b) & 1]!;
        if (c < 0) {
          const sym = -1 - c;
          if (sym === EOS) entry |= FLAG_FAIL;
          else entry |= FLAG_EMIT | (sym << 9);
          s = 0;
        } else s = c;
      }
      TABLE[n * 16 + x] = entry | s;
    }
  }
})();

export class HuffmanError extends Error {}

/** Decodes buf[start, end) as HPACK Huffman-coded octets; the result is a latin1 string (one char per octet). */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    let e = TABLE[state * 16 + (byte >> 4)]!;
    if ((e & FLAG_FAIL) !== 0) throw new HuffmanError('EOS in a Huffman-coded string');
    if ((e & FLAG_EMIT) !== 0) out += String.fromCharCode((e >> 9) & 0xff);
    e = TABLE[(e & 0x1ff) * 16 + (byte & 15)]!;
    if ((e & FLAG_FAIL) !== 0) throw new HuffmanError('EOS in a Huffman-coded string');
    if ((e & FLAG_EMIT) !== 0) out += String.fromCharCode((e >> 9) & 0xff);
    state = e & 0x1ff;
  }
  if (ACCEPTING[state] !== 1) throw new HuffmanError('invalid Huffman padding');
  return out;
}

/** The Huffman-coded form of a latin1 string's octets (tests, and encoders that want it). */
export function huffmanEncode(s: string): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = CODE_LENGTHS[sym]!;
    let code = codes[sym]!;
    // Emit the code's bits high first, a byte at a time (codes may exceed 24 bits: no shifts past 31).
    for (let b = len - 1; b >= 0; b--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** b) % 2);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
    code = 0;
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}
