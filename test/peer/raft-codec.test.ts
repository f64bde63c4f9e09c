/**
 * raftpb.Message codec: round trip of every message type, entries, snapshot metadata (joint
 * ConfState), max uint64 ids, context; byte-identical to protobufjs encoding from
 * proto/raftpb/raft.proto; unknown/packed fields accepted; hot-path timing reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import Long from 'long';
import { EntryType, MessageType, newMessage, type Entry, type Message } from '../../src/raft/types';
import { decodeMessage, encodeMessage } from '../../src/server/engine/peer/raft-codec';

const MAX_U64 = (1n << 64n) - 1n;
const PROTO_DIR = join(__dirname, '..', '..', '..', 'proto');

function loadRaftProto(): protobuf.Type {
  const root = new protobuf.Root();
  root.loadSync(join(PROTO_DIR, 'raftpb/raft.proto'), { keepCase: true });
  return root.lookupType('raftpb.Message');
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Canonical plain form for deepEqual: bytes as hex, no undefined keys, empty optional id lists dropped. */
function norm(m: Message): unknown {
  const out: Record<string, unknown> = {
    type: m.type,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map((e) => ({ term: e.term, index: e.index, type: e.type, data: hex(e.data) })),
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
  };
  if (m.context !== undefined) out.context = hex(m.context);
  if (m.snapshot !== undefined) {
    const cs = m.snapshot.metadata.confState;
    const c: Record<string, unknown> = { voters: cs.voters, learners: cs.learners };
    if (cs.votersOutgoing !== undefined && cs.votersOutgoing.length > 0) c.votersOutgoing = cs.votersOutgoing;
    if (cs.learnersNext !== undefined && cs.learnersNext.length > 0) c.learnersNext = cs.learnersNext;
    if (cs.autoLeave === true) c.autoLeave = true;
    out.snapshot = {
      data: hex(m.snapshot.data),
      metadata: { index: m.snapshot.metadata.index, term: m.snapshot.metadata.term, confState: c },
    };
  }
  return out;
}

const u64 = (v: bigint): Long => Long.fromString(v.toString(), true);

/** The same message as a protobufjs object (field names as in raft.proto), Go's presence rules. */
function pbjsObject(m: Message): Record<string, unknown> {
  const o: Record<string, unknown> = {
    type: m.type,
    to: u64(m.to),
    from: u64(m.from),
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map((e) => ({ Type: e.type, Term: e.term, Index: e.index, ...(e.data.length > 0 ? { Data: e.data } : {}) })),
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
    vote: 0,
  };
  if (m.context !== undefined) o.context = m.context;
  if (m.snapshot !== undefined) {
    const md = m.snapshot.metadata;
    const cs = md.confState;
    o.snapshot = {
      ...(m.snapshot.data.length > 0 ? { data: m.snapshot.data } : {}),
      metadata: {
        conf_state: {
          voters: cs.voters.map(u64),
          learners: cs.learners.map(u64),
          voters_outgoing: (cs.votersOutgoing ?? []).map(u64),
          learners_next: (cs.learnersNext ?? []).map(u64),
          auto_leave: cs.autoLeave === true,
        },
        index: md.index,
        term: md.term,
      },
    };
  }
  return o;
}

function entries(n: number, size: number, startIndex = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j++) data[j] = (i * 31 + j) & 0xff;
    out.push({
      term: 7,
      index: startIndex + i,
      type: i % 3 === 0 ? EntryType.EntryNormal : i % 3 === 1 ? EntryType.EntryConfChange : EntryType.EntryConfChangeV2,
      data,
    });
  }
  return out;
}

function samples(): Message[] {
  const out: Message[] = [];
  const allTypes = Object.values(MessageType).filter((v): v is MessageType => typeof v === 'number');
  for (const type of allTypes) {
    out.push(newMessage({ type, to: 2n, from: 1n, term: 5, logTerm: 4, index: 10, commit: 9, reject: type % 2 === 0, rejectHint: type }));
  }
  out.push(
    newMessage({
      type: MessageType.MsgApp,
      to: MAX_U64,
      from: MAX_U64 - 1n,
      term: 2 ** 53 - 1,
      logTerm: 2 ** 40,
      index: 2 ** 32 + 5,
      commit: 2 ** 31,
      entries: entries(5, 17, 2 ** 32),
    }),
  );
  out.push(
    newMessage({
      type: MessageType.MsgApp,
      to: 1n << 63n,
      from: (1n << 53n) + 1n,
      entries: [{ term: 1, index: 1, type: EntryType.EntryNormal, data: new Uint8Array(0) }],
    }),
  );
  out.push(
    newMessage({ type: MessageType.MsgHeartbeat, to: 3n, from: 1n, term: 9, commit: 100, context: new Uint8Array([1, 2, 3, 0, 255]) }),
  );
  out.push(newMessage({ type: MessageType.MsgReadIndex, to: 3n, from: 1n, context: new Uint8Array(0) }));
  out.push(newMessage({ type: MessageType.MsgProp, to: 3n, from: 1n, entries: entries(3, 300) }));
  out.push(
    newMessage({
      type: MessageType.MsgSnap,
      to: 0xdeadbeefcafebaben,
      from: 1n,
      term: 12,
      snapshot: {
        data: new Uint8Array([9, 8, 7]),
        metadata: {
          index: 1000,
          term: 11,
          confState: { voters: [1n, MAX_U64], learners: [2n ** 60n], votersOutgoing: [1n, 5n], learnersNext: [7n], autoLeave: true },
        },
      },
    }),
  );
  out.push(
    newMessage({
      type: MessageType.MsgSnap,
      to: 2n,
      from: 1n,
      snapshot: { data: new Uint8Array(0), metadata: { index: 3, term: 1, confState: { voters: [1n, 2n, 3n], learners: [] } } },
    }),
  );
  // Types the core does not emit but the wire knows (MsgStorageAppend .. MsgForgetLeader).
  for (let t = 19; t <= 23; t++) out.push(newMessage({ type: t as MessageType, to: 1n, from: 2n }));
  return out;
}

test('round trip of every message type, entries, snapshot metadata, max uint64 ids, context', () => {
  for (const m of samples()) {
    const bytes = encodeMessage(m);
    const back = decodeMessage(bytes);
    assert.deepEqual(norm(back), norm(m), `round trip of ${MessageType[m.type] ?? m.type}`);
  }
});

test('bytes are identical to protobufjs encoding from raft.proto (gogoproto field order and presence)', () => {
  const T = loadRaftProto();
  for (const m of samples()) {
    const ours = encodeMessage(m);
    const theirs = T.encode(T.fromObject(pbjsObject(m))).finish();
    assert.equal(hex(ours), hex(theirs), `bytes of ${MessageType[m.type] ?? m.type}`);
    // And protobufjs reads ours back with exact 64-bit ids.
    const obj = T.toObject(T.decode(ours), { longs: String }) as { to: string; from: string };
    assert.equal(obj.to, m.to.toString());
    assert.equal(obj.from, m.from.toString());
  }
});

test('decoder accepts packed ids, vote/responses and unknown fields', () => {
  // Packed ConfState ids, as a proto3 writer would produce them.
  const src = readFileSync(join(PROTO_DIR, 'raftpb/raft.proto'), 'utf8').replace(/(repeated uint64 +\w+ += \d+)/g, '$1 [packed = true]');
  assert.match(src, /packed = true/);
  const T = protobuf.parse(src, { keepCase: true }).root.lookupType('raftpb.Message');
  const m = samples().find((x) => x.type === MessageType.MsgSnap)!;
  const obj = pbjsObject(m);
  obj.vote = 77;
  obj.responses = [{ type: 1, to: 1 }];
  const bytes = T.encode(T.fromObject(obj)).finish();
  const unknown = Buffer.from([0x80, 0x01, 0x05, 0xfa, 0x01, 0x02, 0xaa, 0xbb]); // field 16 varint, field 31 bytes
  const back = decodeMessage(Buffer.concat([bytes, unknown]));
  assert.deepEqual(norm(back), norm(m));
});

test('truncated input is rejected', () => {
  const bytes = encodeMessage(samples().find((x) => x.entries.length > 0)!);
  for (const cut of [1, 5, bytes.length - 1]) assert.throws(() => decodeMessage(bytes.subarray(0, cut)));
});

test('timing: encode+decode of a MsgApp with 64 entries of 100 bytes', (t) => {
  const m = newMessage({
    type: MessageType.MsgApp,
    to: 2n,
    from: 1n,
    term: 3,
    logTerm: 3,
    index: 100_000,
    commit: 99_990,
    entries: entries(64, 100, 100_001),
  });
  const T = loadRaftProto();
  const obj = pbjsObject(m);
  const run = (n: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) decodeMessage(encodeMessage(m));
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  };
  const runPbjs = (n: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) T.decode(T.encode(T.fromObject(obj)).finish());
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  };
  run(1000);
  runPbjs(300);
  const us = run(5000);
  const pbjs = runPbjs(1500);
  const size = encodeMessage(m).length;
  t.diagnostic(
    `MsgApp 64x100B (${size} bytes): encode+decode ${us.toFixed(2)} µs (protobufjs reflection fromObject+encode+decode: ${pbjs.toFixed(2)} µs)`,
  );
  console.log(`raft-codec: MsgApp 64x100B (${size} bytes) encode+decode ${us.toFixed(2)} µs; protobufjs reflection ${pbjs.toFixed(2)} µs`);
  assert.ok(us < 1000);
});
