/**
 * The JSON gateway (`POST /v3/...`) side by side with a real etcd 3.6: the same requests, in the
 * same order, to a fresh member of each; the answers compared field by field (HTTP status and
 * JSON), with member ids, cluster ids, lease ids and timings replaced by placeholders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcessMember, type ProcessMember } from '../helpers/process-member';
import { toolPath } from '../helpers/tools';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

type Step = { path: string; body?: unknown; raw?: string; method?: string };

const STEPS: Step[] = [
  { path: '/v3/kv/put', body: { key: b64('foo'), value: b64('bar') } },
  { path: '/v3/kv/put', body: { key: b64('foo2'), value: b64('bar2'), prev_kv: true } },
  { path: '/v3/kv/range', body: { key: b64('foo') } },
  { path: '/v3/kv/range', body: { key: b64('foo'), rangeEnd: b64('fop'), count_only: true } },
  { path: '/v3/kv/range', body: { key: b64('nothing') } },
  { path: '/v3/kv/range', body: { key: b64('foo'), revision: '1000' } },
  {
    path: '/v3/kv/txn',
    body: {
      compare: [{ key: b64('foo'), result: 'EQUAL', target: 'VALUE', value: b64('bar') }],
      success: [{ request_put: { key: b64('foo'), value: b64('baz') } }, { request_range: { key: b64('foo') } }],
      failure: [{ request_range: { key: b64('foo') } }],
    },
  },
  { path: '/v3/kv/txn', body: { compare: [{ key: b64('foo'), target: 'VERSION', version: 0, result: 'EQUAL' }] } },
  { path: '/v3/kv/deleterange', body: { key: b64('foo2'), prev_kv: true } },
  { path: '/v3/kv/compaction', body: { revision: 2 } },
  { path: '/v3/kv/range', body: { key: b64('foo'), revision: 1 } },
  { path: '/v3/lease/grant', body: { TTL: 30 } },
  { path: '/v3/kv/lease/leases', body: {} },
  { path: '/v3/cluster/member/list', body: {} },
  { path: '/v3/auth/status', body: {} },
  { path: '/v3/kv/put', body: { key: 'not base64!', value: b64('x') } },
  { path: '/v3/kv/put', raw: '{"key": ' },
  { path: '/v3/kv/range', method: 'GET' },
  { path: '/v3/kv/nothing', body: {} },
];

interface Answer {
  status: number;
  body: unknown;
}

function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x, key));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalise(x, k)]));
  }
  if (['cluster_id', 'member_id', 'ID', 'raft_term'].includes(key)) return '<id>';
  if (key === 'peerURLs' || key === 'clientURLs') return '<url>';
  if (key === 'name') return '<name>';
  if (key === 'message' && typeof v === 'string' && /json|base64|unexpected|invalid|illegal/i.test(v)) return '<parse error>';
  return v;
}

async function transcript(binary: string | undefined): Promise<Answer[]> {
  const m: ProcessMember = await startProcessMember(binary !== undefined ? { binary: toolPath(binary) } : {});
  try {
    const out: Answer[] = [];
    for (const s of STEPS) {
      const res = await fetch(`${m.clientUrl}${s.path}`, {
        method: s.method ?? 'POST',
        ...(s.method === 'GET' ? {} : { body: s.raw ?? JSON.stringify(s.body), headers: { 'Content-Type': 'application/json' } }),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      out.push({ status: res.status, body: normalise(body) });
    }
    // Watch: a stream of {"result": ...} lines; the created line, then a put's event.
    const ac = new AbortController();
    const res = await fetch(`${m.clientUrl}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('w'), prev_kv: true } }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    let buf = '';
    const lines: unknown[] = [];
    let put = false;
    while (lines.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(normalise(JSON.parse(buf.slice(0, i))));
        buf = buf.slice(i + 1);
      }
      if (!put && lines.length >= 1) {
        put = true;
        await fetch(`${m.clientUrl}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b64('w'), value: b64('1') }) });
      }
    }
    ac.abort();
    out.push({ status: res.status, body: lines });
    return out;
  } finally {
    await m.stop();
  }
}

test('JSON gateway: the same requests get the same answers as etcd 3.6', { timeout: 120_000 }, async () => {
  const etcd = await transcript('etcd');
  const ts = await transcript(undefined);
  for (const [i, s] of [...STEPS, { path: '/v3/watch' }].entries()) {
    assert.deepEqual(ts[i], etcd[i], `${s.method ?? 'POST'} ${s.path} ${JSON.stringify(s.body ?? s.raw ?? '')}`);
  }
});
