/**
 * Bad input on the peer port: a seeded fuzzer sends malformed, truncated and oversized protobuf
 * payloads with random metadata to every method of the peer gRPC services
 * (/etcdts.peer.Peer/Stream, /Snapshot, /Probe, /etcdts.peer.Cluster/Members, /Promote) of a
 * running 3-member cluster for ~30 s while a client keeps writing. Afterwards every member is
 * still up, the cluster has a leader, every acknowledged write is there on every member, and
 * the members agree on revision and HashKV.
 *
 * Payloads that decode as well-formed raft messages are only sent with metadata the receiver
 * must refuse (wrong cluster id, missing/garbage `from`): with the real cluster id and a member
 * id a well-formed raft message is indistinguishable from a peer's (there is no peer
 * authentication), so with the real cluster id only undecodable payloads are sent.
 *
 * PEER_FUZZ_SEED=<n> replays, PEER_FUZZ_MS=<ms> changes the duration (default 30000).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ProcessCluster, hashKV, status } from '../helpers/cluster';
import { method } from '../../src/server/wire/protos';
import { prng } from '../helpers/prng';

const seed = process.env.PEER_FUZZ_SEED ? Number(process.env.PEER_FUZZ_SEED) : Math.floor(Math.random() * 1e9);
const durationMs = process.env.PEER_FUZZ_MS ? Number(process.env.PEER_FUZZ_MS) : 30_000;

// --- protobuf wire helpers -------------------------------------------------------------------
function varint(n: bigint | number): Buffer {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const tag = (field: number, wt: number) => varint((field << 3) | wt);
const fVarint = (field: number, v: bigint | number) => Buffer.concat([tag(field, 0), varint(v)]);
const fBytes = (field: number, b: Buffer) => Buffer.concat([tag(field, 2), varint(b.length), b]);

type Rnd = () => number;
const int = (r: Rnd, n: number) => Math.floor(r() * n);
const bytes = (r: Rnd, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));
function u64(r: Rnd): bigint {
  const choices = [0n, 1n, 2n, BigInt(int(r, 1000)), (1n << 63n) - 1n, (1n << 64n) - 1n, BigInt(Math.floor(r() * 2 ** 53))];
  return choices[int(r, choices.length)]!;
}

/** A well-formed raftpb.Message with random fields (only ever sent with refused metadata). */
function raftMessage(r: Rnd): Buffer {
  const parts = [
    fVarint(1, int(r, 25)),
    fVarint(2, u64(r)),
    fVarint(3, u64(r)),
    fVarint(4, u64(r)),
    fVarint(5, u64(r)),
    fVarint(6, u64(r)),
  ];
  for (let i = int(r, 3); i > 0; i--) {
    parts.push(fBytes(7, Buffer.concat([fVarint(1, int(r, 3)), fVarint(2, u64(r)), fVarint(3, u64(r)), fBytes(4, bytes(r, int(r, 64)))])));
  }
  parts.push(fVarint(8, u64(r)));
  if (r() < 0.3) parts.push(fBytes(9, Buffer.concat([fBytes(1, bytes(r, int(r, 100))), fBytes(2, bytes(r, int(r, 20)))])));
  parts.push(fVarint(10, r() < 0.5 ? 1 : 0));
  return Buffer.concat(parts);
}

/** Bytes that cannot decode as any protobuf message. */
function undecodable(r: Rnd, big: boolean): Buffer {
  const inner = Buffer.concat([raftMessage(r), bytes(r, int(r, 50))]);
  switch (int(r, 5)) {
    case 0: // a length-delimited field claiming more bytes than follow (truncated)
      return Buffer.concat([tag(1, 2), varint(inner.length + 1 + int(r, 1 << 20)), inner.subarray(0, int(r, inner.length))]);
    case 1: // an invalid wire type (6 or 7) first
      return Buffer.concat([Buffer.from([(int(r, 15) + 1) * 8 + 6 + int(r, 2)]), bytes(r, int(r, 100))]);
    case 2: // an overlong varint (11 continuation bytes)
      return Buffer.concat([tag(1 + int(r, 4), 0), Buffer.alloc(11, 0xff), Buffer.from([1])]);
    case 3: // field number 0
      return Buffer.concat([Buffer.from([0x00 | int(r, 3)]), bytes(r, int(r, 100))]);
    default: // a huge, truncated blob: oversized and undecodable
      return Buffer.concat([tag(1, 2), varint((big ? 24 : 2) << 20), bytes(r, big ? (16 << 20) + int(r, 8 << 20) : int(r, 1 << 20))]);
  }
}

/** Any payload: random bytes, a truncated well-formed message, an oversized one, empty. */
function anyPayload(r: Rnd, big: boolean): Buffer {
  const batch = () => Buffer.concat(Array.from({ length: 1 + int(r, 4) }, () => fBytes(1, raftMessage(r))));
  switch (int(r, 6)) {
    case 0:
      return bytes(r, int(r, 300));
    case 1: {
      const b = batch();
      return b.subarray(0, int(r, b.length));
    }
    case 2:
      return batch();
    case 3:
      return Buffer.alloc(0);
    case 4: // snapshot chunk: message, total size, data, sha256 (random, so it never matches)
      return Buffer.concat([fBytes(1, raftMessage(r)), fVarint(2, u64(r)), fBytes(3, bytes(r, int(r, 4096))), fBytes(4, bytes(r, 32))]);
    default:
      return undecodable(r, big);
  }
}

function randomMetadata(r: Rnd, clusterId: string, ids: string[]): { md: grpc.Metadata; admitted: boolean } {
  const md = new grpc.Metadata();
  const garbage = () =>
    ['', 'x', '-1', '18446744073709551616', '1e3', ' 12', '0x10', String(u64(r)), bytes(r, 8).toString('latin1')][int(r, 9)]!;
  const safe = (v: string) => v.replace(/[^\x20-\x7e]/g, '?');
  let admitted = true;
  const c = int(r, 4);
  if (c === 0) {
    admitted = false; // no cluster id
  } else if (c === 1) {
    md.set('cluster-id', safe(garbage()));
    admitted = false;
  } else {
    md.set('cluster-id', clusterId);
  }
  const f = int(r, 4);
  if (f === 0) admitted = false;
  else if (f === 1) {
    md.set('from', safe(garbage()));
    admitted = false;
  } else md.set('from', f === 2 ? ids[int(r, ids.length)]! : String(u64(r)));
  if (r() < 0.5) md.set('to', r() < 0.5 ? ids[int(r, ids.length)]! : safe(garbage()));
  if (r() < 0.3) md.set(`x-fuzz-${int(r, 100)}`, safe(garbage()));
  if (r() < 0.1) md.set('fuzz-bin', bytes(r, int(r, 64)));
  return { md, admitted };
}

const identity = (b: Buffer) => b;

function unary(c: grpc.Client, path: string, payload: Buffer, md: grpc.Metadata): Promise<string> {
  return new Promise((resolve) => {
    c.makeUnaryRequest<Buffer, Buffer>(path, identity, identity, payload, md, { deadline: Date.now() + 3000 }, (e) =>
      resolve(e ? `${grpc.status[e.code]}` : 'OK'),
    );
  });
}

function clientStream(c: grpc.Client, path: string, payloads: Buffer[], md: grpc.Metadata, r: Rnd): Promise<string> {
  return new Promise((resolve) => {
    const call = c.makeClientStreamRequest<Buffer, Buffer>(path, identity, identity, md, { deadline: Date.now() + 3000 }, (e) =>
      resolve(e ? `${grpc.status[e.code]}` : 'OK'),
    );
    call.on('error', () => undefined);
    for (const p of payloads) call.write(p);
    if (r() < 0.2) call.cancel();
    else if (r() < 0.8) call.end();
    // else: left open until the deadline
  });
}

function bidi(c: grpc.Client, path: string, payloads: Buffer[], md: grpc.Metadata, r: Rnd): Promise<string> {
  return new Promise((resolve) => {
    const call = c.makeBidiStreamRequest<Buffer, Buffer>(path, identity, identity, md, { deadline: Date.now() + 3000 });
    let done = false;
    const finish = (s: string) => {
      if (!done) {
        done = true;
        resolve(s);
      }
    };
    call.on('data', () => undefined);
    call.on('error', (e: grpc.ServiceError) => finish(grpc.status[e.code] ?? 'ERR'));
    call.on('end', () => finish('END'));
    call.on('status', (s: grpc.StatusObject) => finish(grpc.status[s.code] ?? 'ERR'));
    for (const p of payloads) call.write(p);
    if (r() < 0.3) call.cancel();
    else if (r() < 0.8) call.end();
  });
}

// --- KV helpers (etcd's gRPC API) --------------------------------------------------------------
const putM = method('etcdserverpb.KV', 'Put');
const rangeM = method('etcdserverpb.KV', 'Range');

function kvCall<T>(c: grpc.Client, m: typeof putM, req: object): Promise<T> {
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest<object, T>(
      m.path,
      m.requestSerialize,
      (b: Buffer) => m.responseDeserialize(b) as T,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 5000 },
      (e, r) => (e ? reject(e) : resolve(r!)),
    );
  });
}

test(`peer fuzz: malformed, truncated and oversized peer payloads with random metadata (seed ${seed})`, { timeout: 180_000 }, async () => {
  console.log(`peer-fuzz: seed ${seed} (replay: PEER_FUZZ_SEED=${seed})`);
  const r = prng(seed);
  const cluster = await ProcessCluster.create(3);
  const clients: grpc.Client[] = [];
  try {
    await cluster.startAll();
    await cluster.waitLeader();
    const st = await status(cluster.endpoint(0));
    assert.ok(st, 'status');
    // The cluster id, from `endpoint status` (header.cluster_id).
    const { runEtcdctl } = await import('../helpers/tools');
    const js = await runEtcdctl(cluster.endpoint(0), ['endpoint', 'status', '-w', 'json']);
    const clusterId = /"cluster_id":(\d+)/.exec(js.stdout)?.[1] ?? '0';
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await status(cluster.endpoint(i)))!.memberId);

    const kvs = cluster.specs.map((_, i) => new grpc.Client(cluster.endpoint(i), grpc.credentials.createInsecure()));
    clients.push(...kvs);
    const acked = new Map<string, string>();
    let writeErrors = 0;

    const peers = cluster.specs.map(
      (s) =>
        new grpc.Client(`127.0.0.1:${s.peerPort}`, grpc.credentials.createInsecure(), {
          'grpc.max_send_message_length': -1,
          'grpc.max_receive_message_length': -1,
        }),
    );
    clients.push(...peers);
    const paths = [
      '/etcdts.peer.Peer/Stream',
      '/etcdts.peer.Peer/Snapshot',
      '/etcdts.peer.Peer/Probe',
      '/etcdts.peer.Cluster/Members',
      '/etcdts.peer.Cluster/Promote',
      '/etcdts.peer.Peer/Nope',
    ];
    const outcomes = new Map<string, number>();
    let calls = 0;
    let bigPayloads = 0;
    const end = Date.now() + durationMs;

    const writer = (async () => {
      for (let n = 0; Date.now() < end; n++) {
        const key = `/fuzz/${String(n).padStart(5, '0')}`;
        const value = `v${n}`;
        try {
          await kvCall(kvs[n % 3]!, putM, { key: Buffer.from(key), value: Buffer.from(value) });
          acked.set(key, value);
        } catch {
          writeErrors++;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();

    const worker = async () => {
      while (Date.now() < end) {
        const target = int(r, 3);
        const path = paths[int(r, paths.length)]!;
        const { md, admitted } = randomMetadata(r, clusterId, ids);
        const big = bigPayloads < 6 && r() < 0.02;
        if (big) bigPayloads++;
        const payload = () => (admitted ? undecodable(r, big && r() < 0.5) : anyPayload(r, big && r() < 0.5));
        let outcome: string;
        if (path.endsWith('/Stream')) {
          outcome = await bidi(peers[target]!, path, Array.from({ length: 1 + int(r, 5) }, payload), md, r);
        } else if (path.endsWith('/Snapshot')) {
          outcome = await clientStream(peers[target]!, path, Array.from({ length: int(r, 5) }, payload), md, r);
        } else if (path.endsWith('/Promote') && r() < 0.5) {
          // well-formed: promote a random or a real (voting) member id
          outcome = await unary(peers[target]!, path, fVarint(1, r() < 0.5 ? BigInt(ids[int(r, 3)]!) : u64(r)), md);
        } else {
          outcome = await unary(peers[target]!, path, r() < 0.3 ? Buffer.alloc(0) : payload(), md);
        }
        calls++;
        const k = `${path.split('/').pop()} ${outcome}`;
        outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
      }
    };
    await Promise.all([worker(), worker(), worker(), writer]);
    console.log(`peer-fuzz: ${calls} calls (${bigPayloads} oversized), ${acked.size} acknowledged writes, ${writeErrors} write errors`);
    console.log(`peer-fuzz: outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);

    // Every member still runs and the cluster has a leader.
    for (let i = 0; i < 3; i++) {
      const m = cluster.members[i]!;
      const exited = await Promise.race([m.exited.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 10))]);
      assert.equal(exited, false, `${m.name} exited during the fuzzing:\n${m.stderr().slice(-4000)}`);
    }
    await cluster.waitLeader(20_000);
    // A write after the fuzzing, read back linearizably.
    let after: { header: { revision: string } } | undefined;
    for (let i = 0; after === undefined; i++) {
      try {
        after = await kvCall<{ header: { revision: string } }>(kvs[i % 3]!, putM, {
          key: Buffer.from('/fuzz/after'),
          value: Buffer.from('ok'),
        });
      } catch (e) {
        if (i >= 30) throw e;
        await new Promise((res) => setTimeout(res, 300));
      }
    }
    acked.set('/fuzz/after', 'ok');
    const finalRev = Number(after.header.revision);
    // Every member has every acknowledged write, the same revision and HashKV.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const revs = await Promise.all([0, 1, 2].map(async (i) => (await status(cluster.endpoint(i)))?.revision ?? -1));
      if (revs.every((x) => x === finalRev)) break;
      if (Date.now() > deadline) assert.fail(`member revisions ${revs.join(',')}, expected ${finalRev}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    for (let i = 0; i < 3; i++) {
      const resp = await kvCall<{ kvs: { key: Buffer; value: Buffer }[] }>(kvs[i]!, rangeM, {
        key: Buffer.from('/fuzz/'),
        range_end: Buffer.from('/fuzz0'),
        serializable: true,
      });
      const got = new Map(resp.kvs.map((x) => [x.key.toString(), x.value.toString()]));
      for (const [k, v] of acked) assert.equal(got.get(k), v, `${cluster.specs[i]!.name}: acknowledged ${k}=${v} missing or different`);
    }
    const hashes = await Promise.all([0, 1, 2].map((i) => hashKV(cluster.endpoint(i), finalRev)));
    assert.ok(
      hashes.every((h) => h !== undefined && h.hash === hashes[0]!.hash),
      `HashKV differ: ${JSON.stringify(hashes)}`,
    );
    assert.ok(acked.size > 50, `only ${acked.size} writes were acknowledged during the fuzzing`);
  } finally {
    for (const c of clients) c.close();
    await cluster.destroy();
  }
});
