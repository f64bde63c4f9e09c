/**
 * grpc.health.v1.Health on the client port, side by side with etcd 3.6: Check of the whole
 * server ("") is SERVING, an unknown service is NOT_FOUND with grpc-go's text, Watch streams the
 * current status first; List answers as etcd's grpc-go does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { startProcessMember } from '../helpers/process-member';
import { toolPath } from '../helpers/tools';

type Outcome = { ok: unknown } | { code: number; details: string };

interface HealthAnswers {
  whole: Outcome;
  unknown: Outcome;
  list: Outcome;
  watchFirst: unknown;
}

async function ask(endpoint: string): Promise<HealthAnswers> {
  const Ctor = grpc.makeGenericClientConstructor(healthService as grpc.ServiceDefinition, 'Health');
  const c = new Ctor(endpoint, grpc.credentials.createInsecure()) as unknown as Record<string, (...a: unknown[]) => unknown> & grpc.Client;
  const unary = (method: string, req: object): Promise<Outcome> =>
    new Promise((resolve) =>
      c[method]!.call(c, req, { deadline: Date.now() + 5000 }, (e: grpc.ServiceError | null, r: unknown) =>
        resolve(e ? { code: e.code, details: e.details } : { ok: r }),
      ),
    );
  try {
    const whole = await unary('Check', { service: '' });
    const unknown = await unary('Check', { service: 'no.such.Service' });
    const list = await unary('List', {});
    const watchFirst = await new Promise((resolve, reject) => {
      const call = c['Watch']!.call(c, { service: '' }) as grpc.ClientReadableStream<unknown>;
      call.on('data', (d: unknown) => {
        resolve(d);
        call.cancel();
      });
      call.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
    });
    return { whole, unknown, list, watchFirst };
  } finally {
    c.close();
  }
}

test('grpc.health.v1.Health: Check, Watch and List answer as etcd 3.6 answers them', { timeout: 120_000 }, async () => {
  const answers: HealthAnswers[] = [];
  for (const binary of [toolPath('etcd'), undefined]) {
    const m = await startProcessMember(binary !== undefined ? { binary } : {});
    try {
      answers.push(await ask(m.endpoint));
    } finally {
      await m.stop();
    }
  }
  const [etcd, ts] = answers as [HealthAnswers, HealthAnswers];
  assert.deepEqual(etcd.whole, { ok: { status: 'SERVING' } });
  assert.deepEqual(ts, etcd);
});
