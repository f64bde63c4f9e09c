// After the client half-closes a Watch stream, the server keeps it open and keeps delivering
// events of the watchers already created, until the client cancels: real etcd 3.6 does this
// (v3rpc recvLoop returns nil on EOF and the handler waits for the stream context); the curl
// /v3/watch gateway relies on it. Checked on both servers with a grpc-js client.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/server/wire/protos';
import { runEtcdctl } from '../helpers/tools';
import { targets } from '../compat/targets';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

for (const target of targets()) {
  describe(`Watch stream half-close on ${target.label}`, () => {
    test('events still arrive after half-close; ends only on client cancel', async () => {
      const m = await target.start();
      try {
        const pkg = grpc.loadPackageDefinition(packageDefinition()) as Obj;
        const client = new pkg.etcdserverpb.Watch(m.endpoint, grpc.credentials.createInsecure());
        const call = client.Watch();
        const responses: Obj[] = [];
        let ended = false;
        let waiter: (() => void) | undefined;
        call.on('data', (r: Obj) => {
          responses.push(r);
          waiter?.();
        });
        call.on('end', () => (ended = true));
        call.on('error', () => undefined);
        const until = (n: number): Promise<void> =>
          new Promise((resolve, reject) => {
            const t = setTimeout(() => reject(new Error(`only ${responses.length} responses`)), 10_000);
            const check = (): void => {
              if (responses.length >= n) {
                clearTimeout(t);
                resolve();
              } else waiter = check;
            };
            check();
          });
        call.write({ create_request: { key: Buffer.from('foo') } });
        await until(1);
        assert.equal(responses[0]!.created, true);
        call.end();
        const r = await runEtcdctl(m.endpoint, ['put', 'foo', 'x']);
        assert.equal(r.code, 0, r.stderr);
        await until(2);
        assert.equal(responses[1]!.events.length, 1);
        assert.equal(ended, false);
        call.cancel();
        client.close();
      } finally {
        await m.stop();
      }
    });
  });
}
