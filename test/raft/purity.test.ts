import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const srcDir = path.resolve(__dirname, '../../../src/raft');

const FORBIDDEN_MODULES = [
  'fs',
  'net',
  'timers',
  'http',
  'https',
  'http2',
  'child_process',
  'dgram',
  'worker_threads',
  'cluster',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'level',
  'pino',
];
const FORBIDDEN_TOKENS = ['Date.now', 'performance.now', 'setTimeout', 'setInterval', 'setImmediate', 'Math.random', 'process.hrtime'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('src/raft is a pure core: no I/O imports, no clock, no ambient randomness', () => {
  const list = files(srcDir);
  assert.ok(list.length > 5, `expected raft sources under ${srcDir}`);
  const problems: string[] = [];
  for (const f of list) {
    const text = fs.readFileSync(f, 'utf8');
    const specifiers = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const spec of specifiers) {
      const bare = spec.replace(/^node:/, '');
      const root = bare.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare.split('/')[0]!;
      if (FORBIDDEN_MODULES.includes(root)) problems.push(`${path.basename(f)} imports ${spec}`);
      if (!spec.startsWith('.')) problems.push(`${path.basename(f)} imports non-relative module ${spec}`);
    }
    for (const tok of FORBIDDEN_TOKENS) {
      if (text.includes(tok)) problems.push(`${path.basename(f)} mentions ${tok}`);
    }
  }
  assert.deepEqual(problems, []);
});
