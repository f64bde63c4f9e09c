/**
 * HPACK (src/server/wire/h2): the Huffman code, the decoder and the encoder, by hand and against
 * Go's x/net/http2/hpack (test/go/cmd/hpackcheck), the codec in front of etcd's gRPC server:
 * - Go encodes random header blocks (Huffman strings, indexing, table size changes), etcd-ts
 *   decodes them, block after block on one decoder;
 * - etcd-ts encodes random blocks (with peer table size changes), Go decodes them;
 * - damaged blocks go to both decoders: where Go refuses, etcd-ts must refuse; where Go decodes,
 *   etcd-ts must read the same fields, and the two decoders go on with the same table.
 *
 * Replay: FUZZ_SEED=<n> node --test dist/test/proto/hpack.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { huffmanDecode, huffmanEncode, HuffmanError } from '../../src/server/wire/h2/huffman';
import { HpackDecoder, HpackError } from '../../src/server/wire/h2/hpack-decoder';
import { HpackEncoder } from '../../src/server/wire/h2/hpack-encoder';
import { run, toolPath } from '../helpers/tools';
import { prng } from '../helpers/prng';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`# hpack: FUZZ_SEED=${SEED}`);

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

function decodeAll(d: HpackDecoder, block: Buffer): string[] {
  const out: string[] = [];
  d.decode(block, 0, block.length, out);
  return out;
}

test('Huffman: RFC 7541 examples, every octet, and refused padding', () => {
  // RFC 7541, C.4.1-C.4.3 and C.6.1.
  for (const [s, h] of [
    ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
    ['no-cache', 'a8eb 1064 9cbf'],
    ['custom-key', '25a8 49e9 5ba9 7d7f'],
    ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
    ['302', '6402'],
    ['private', 'aec3 771a 4b'],
  ] as const) {
    assert.equal(huffmanEncode(s).toString('hex'), h.replace(/ /g, ''), s);
    const b = hex(h);
    assert.equal(huffmanDecode(b, 0, b.length), s);
  }
  let all = '';
  for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
  const enc = huffmanEncode(all + all.split('').reverse().join(''));
  assert.equal(huffmanDecode(enc, 0, enc.length), all + all.split('').reverse().join(''));
  assert.equal(huffmanDecode(Buffer.alloc(0), 0, 0), '');
  // '0' is 00000 (5 bits): padding of three ones is right; zeros, or a whole byte of ones, are not.
  assert.equal(huffmanDecode(hex('07'), 0, 1), '0');
  assert.throws(() => huffmanDecode(hex('00'), 0, 1), HuffmanError);
  assert.throws(() => huffmanDecode(hex('07ff'), 0, 2), HuffmanError);
  // EOS (30 ones) spelled out.
  assert.throws(() => huffmanDecode(hex('ffffffff'), 0, 4), HuffmanError);
});

test('HPACK decoder: RFC 7541 C.3 (requests without Huffman) on one decoder, and refusals', () => {
  const d = new HpackDecoder();
  const first = [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com'];
  assert.deepEqual(decodeAll(d, hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d')), first);
  assert.deepEqual(decodeAll(d, hex('8286 84be 5808 6e6f 2d63 6163 6865')), [...first, 'cache-control', 'no-cache']);
  const third = hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65');
  const thirdFields = [':method', 'GET', ':scheme', 'https', ':path', '/index.html', ':authority', 'www.example.com'];
  assert.deepEqual(decodeAll(d, third), [...thirdFields, 'custom-key', 'custom-value']);
  for (const [bad, why] of [
    ['80', 'index 0'],
    ['be', 'past the empty dynamic table'],
    ['3fe21f', 'size update above 4,096'],
    ['8220', 'size update after a field (Go allows it while the table is empty: here it is not)'],
    ['0f', 'truncated integer'],
    ['ff80808080808080808001', 'integer of 10 continuation octets'],
    ['0003616263', 'string longer than the block'],
    ['000161810000', 'Huffman string with bad padding (0x00)'],
  ] as const) {
    const fresh = new HpackDecoder();
    if (why.startsWith('size update after')) decodeAll(fresh, hex('400161016a')); // table not empty
    assert.throws(() => decodeAll(fresh, hex(bad)), HpackError, why);
  }
  // Go's quirk, kept: a size update after a field is accepted while the table is empty.
  assert.deepEqual(decodeAll(new HpackDecoder(), hex('8220')), [':method', 'GET']);
});

test('HPACK encoder: indexes repeated fields, honours noIndex and table size changes', () => {
  const e = new HpackEncoder(4096, new Set(['grpc-message']));
  const d = new HpackDecoder();
  const fields = [':status', '200', 'content-type', 'application/grpc', 'grpc-message', 'x'];
  const b1 = e.encode(fields);
  const b2 = e.encode(fields);
  assert.ok(b2.length < b1.length, `second block ${b2.length} B, first ${b1.length} B`);
  assert.deepEqual(decodeAll(d, b1), fields);
  assert.deepEqual(decodeAll(d, b2), fields);
  assert.equal(b2[0], 0x88); // :status 200, static
  e.setPeerMaxTableSize(0);
  const b3 = e.encode(fields);
  assert.equal(b3[0], 0x20); // size update to 0 first
  assert.deepEqual(decodeAll(d, b3), fields);
});

// ---- against Go ----

const NAMES = [':path', ':authority', 'content-type', 'te', 'grpc-timeout', 'user-agent', 'token', 'authorization', 'x-custom'];

function randomString(rnd: () => number, max: number): string {
  const n = rnd() < 0.1 ? Math.floor(rnd() * 300) : Math.floor(rnd() * max);
  let s = '';
  const ascii = rnd() < 0.7;
  for (let i = 0; i < n; i++) s += String.fromCharCode(ascii ? 32 + Math.floor(rnd() * 95) : Math.floor(rnd() * 256));
  return s;
}

function randomFields(rnd: () => number): string[] {
  const out: string[] = [];
  const n = Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) {
    const name = rnd() < 0.7 ? NAMES[Math.floor(rnd() * NAMES.length)]! : randomString(rnd, 20);
    const value = rnd() < 0.5 ? `v${Math.floor(rnd() * 4)}` : randomString(rnd, 40);
    out.push(name, value);
  }
  return out;
}

/** hpackcheck's answers, one a line (an answer may end in a space: an empty field list). */
function lines(out: string): string[] {
  const l = out.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

const toLine = (f: readonly string[]): string => {
  const parts: string[] = [];
  for (let k = 0; k + 1 < f.length; k += 2)
    parts.push(`${Buffer.from(f[k]!, 'latin1').toString('hex')}:${Buffer.from(f[k + 1]!, 'latin1').toString('hex')}`);
  return parts.join(',');
};

function damage(rnd: () => number, b: Buffer): Buffer {
  const c = Buffer.from(b);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      if (c.length > 0) c[Math.floor(rnd() * c.length)]! ^= 1 << Math.floor(rnd() * 8);
      return c;
    case 1:
      return c.subarray(0, Math.floor(rnd() * c.length));
    case 2: {
      const at = Math.floor(rnd() * (c.length + 1));
      return Buffer.concat([c.subarray(0, at), Buffer.from([Math.floor(rnd() * 256)]), c.subarray(at)]);
    }
    case 3:
      if (c.length > 0) c[Math.floor(rnd() * c.length)] = Math.floor(rnd() * 256);
      return c;
    default:
      return Buffer.from(Array.from({ length: Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 256)));
  }
}

test(`HPACK against Go's x/net/http2/hpack (FUZZ_SEED=${SEED})`, { timeout: 120_000 }, async (t) => {
  const rnd = prng(SEED);
  const SESSIONS = 300;
  const BLOCKS = 25;
  // Round 1: Go encodes, etcd-ts decodes (one decoder per session).
  const cmds: string[] = [];
  const sent: string[][][] = [];
  for (let s = 0; s < SESSIONS; s++) {
    cmds.push('reset');
    const blocks: string[][] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const f = randomFields(rnd);
      blocks.push(f);
      // A size change only before a block with fields: Go's encoder puts an unsent change off
      // to the next block, and two updates there (the minimum, then the size) are refused by
      // Go's own decoder when the first leaves entries in the table, as by etcd-ts's.
      const size = f.length > 0 && rnd() < 0.05 ? Math.floor(rnd() * 4097) : -1;
      cmds.push(`enc ${size} ${toLine(f)}`);
    }
    sent.push(blocks);
  }
  const r1 = await run(toolPath('hpackcheck'), [], { stdin: cmds.join('\n') + '\n', timeoutMs: 60_000 });
  assert.equal(r1.code, 0, r1.stderr);
  const a1 = lines(r1.stdout);
  assert.equal(a1.length, cmds.length);
  const goBlocks: Buffer[][] = [];
  let i = 0;
  let decoded = 0;
  for (let s = 0; s < SESSIONS; s++) {
    i++; // reset
    const d = new HpackDecoder();
    const blocks: Buffer[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const block = Buffer.from(a1[i++]!.slice(3), 'hex');
      blocks.push(block);
      assert.deepEqual(decodeAll(d, block), sent[s]![b], `FUZZ_SEED=${SEED}: session ${s} block ${b} (${block.toString('hex')})`);
      decoded++;
    }
    goBlocks.push(blocks);
  }

  // Round 2: etcd-ts encodes, Go decodes; then damaged Go blocks go to both decoders.
  const cmds2: string[] = [];
  const expect: (string | null)[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    cmds2.push('reset');
    expect.push(null);
    const e = new HpackEncoder(4096, rnd() < 0.5 ? new Set(['grpc-timeout']) : new Set());
    for (let b = 0; b < BLOCKS; b++) {
      if (rnd() < 0.05) e.setPeerMaxTableSize(Math.floor(rnd() * 4097));
      const f = randomFields(rnd);
      cmds2.push(`dec ${e.encode(f).toString('hex')}`);
      expect.push(`ok ${toLine(f)}`);
    }
  }
  const damaged: { session: number; blocks: Buffer[] }[] = [];
  for (let s = 0; s < SESSIONS; s++) {
    const blocks = goBlocks[s]!.map((b) => (rnd() < 0.3 ? damage(rnd, b) : b));
    damaged.push({ session: s, blocks });
    cmds2.push('reset');
    expect.push(null);
    for (const b of blocks) {
      cmds2.push(`dec ${b.toString('hex')}`);
      expect.push(null);
    }
  }
  const r2 = await run(toolPath('hpackcheck'), [], { stdin: cmds2.join('\n') + '\n', timeoutMs: 60_000 });
  assert.equal(r2.code, 0, r2.stderr);
  const a2 = lines(r2.stdout);
  assert.equal(a2.length, cmds2.length);
  let k = 0;
  for (; k < SESSIONS * (BLOCKS + 1); k++) {
    if (expect[k] !== null) assert.equal(a2[k], expect[k], `FUZZ_SEED=${SEED}: Go decodes etcd-ts's block ${cmds2[k]}`);
  }
  const problems: string[] = [];
  let goRefused = 0;
  for (const { session, blocks } of damaged) {
    k++; // reset
    let d = new HpackDecoder();
    for (const block of blocks) {
      const go = a2[k++]!;
      let mine: string;
      try {
        mine = `ok ${toLine(decodeAll(d, block))}`;
      } catch (e) {
        if (!(e instanceof HpackError)) throw e;
        mine = 'err';
        d = new HpackDecoder(); // as hpackcheck does after a refusal
      }
      if (go.startsWith('err')) goRefused++;
      const same = go.startsWith('err') ? mine === 'err' : mine === go;
      if (!same) problems.push(`session ${session} block ${block.toString('hex')}: Go ${go}, etcd-ts ${mine}`);
    }
  }
  t.diagnostic(
    `${decoded} Go blocks decoded; ${SESSIONS * BLOCKS} etcd-ts blocks decoded by Go; damaged sessions: ${goRefused} blocks refused by Go`,
  );
  assert.ok(goRefused > SESSIONS / 10, `FUZZ_SEED=${SEED}: only ${goRefused} refusals`);
  assert.deepEqual(problems.slice(0, 10), [], `FUZZ_SEED=${SEED}: ${problems.length} blocks read differently`);
});
