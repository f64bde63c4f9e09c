/**
 * Batched watch writes on a real grpc-js server and client: a batch of frames written in one
 * write arrives as separate WatchResponses; the installed grpc-js takes the fast path (if an
 * upgrade breaks it, this fails rather than silently slowing watches down); the fallback path
 * (one message per frame) delivers the same responses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, method } from '../../src/server/wire/protos';
import { framedWriter, passBuffersThrough } from '../../src/server/wire/framed-writes';
import { FrameWriter } from '../../src/server/wire/watch-frames';

const watch = method('etcdserverpb.Watch', 'Watch');

function batchOf(ids: number[]): Buffer {
  const w = new FrameWriter();
  for (const id of ids) w.message(watch.responseSerialize({ header: { revision: id }, watch_id: String(id), created: true }));
  return w.take();
}

async function roundTrip(fast: boolean): Promise<{ batched: boolean; got: string[] }> {
  const server = new grpc.Server();
  let batched: boolean | undefined;
  server.addService(passBuffersThrough(serviceDefinition('etcdserverpb.Watch')), {
    Watch: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      // The fallback is forced by hiding the call's internals behind a plain object.
      const target = fast ? call : { write: (m: unknown): boolean => call.write(m) };
      const writer = framedWriter(target);
      batched = writer.batched;
      call.on('data', () => {
        writer.write(batchOf([1, 2, 3]));
        writer.write(batchOf([4]));
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const stream = client.makeBidiStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (r: Record<string, unknown>) => {
        got.push(`${String(r.watch_id)}@${String((r.header as Record<string, unknown>).revision)}`);
        if (got.length === 4) resolve();
      });
      stream.on('error', reject);
      stream.write({ progress_request: {} });
    });
    stream.cancel();
    return { batched: batched!, got };
  } finally {
    client.close();
    server.forceShutdown();
  }
}

test('framed batches: the fast path is taken and every response arrives, in order', async () => {
  const r = await roundTrip(true);
  assert.equal(r.batched, true, 'grpc-js internals changed: watch writes are no longer batched');
  assert.deepEqual(r.got, ['1@1', '2@2', '3@3', '4@4']);
});

test('framed batches: the fallback (one message per frame) delivers the same', async () => {
  const r = await roundTrip(false);
  assert.equal(r.batched, false);
  assert.deepEqual(r.got, ['1@1', '2@2', '3@3', '4@4']);
});
