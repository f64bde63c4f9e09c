/**
 * The client port's HTTP side: GET /health and /version answer on the same
 * port as gRPC. Found while writing the process-member helper: the requests got no answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startMember } from '../helpers/member';

function get(url: string): Promise<{ status: number; body: string } | 'timeout'> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', reject);
  });
}

test('GET /health and /version on the client port answer', { timeout: 30_000 }, async (t) => {
  const m = await startMember();
  t.after(() => m.stop());
  const health = await get(`${m.clientUrl}/health`);
  assert.notEqual(health, 'timeout', 'GET /health got no answer within 3 s');
  assert.deepEqual(health, { status: 200, body: '{"health":"true","reason":""}' });
  const version = await get(`${m.clientUrl}/version`);
  assert.notEqual(version, 'timeout', 'GET /version got no answer within 3 s');
  assert.equal((version as { status: number }).status, 200);
});
