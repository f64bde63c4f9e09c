import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const srcDir = path.resolve(__dirname, '../../../src/lease');
const FORBIDDEN = ['Date.now', 'performance.now', 'setTimeout', 'setInterval', 'setImmediate', 'Math.random', 'process.hrtime', "'node:", "'fs'", "'net'", 'grpc', 'pino', "'level'"];

test('src/lease is a pure core: no clock, no timers, no randomness, no I/O imports', () => {
  const list = fs.readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
  assert.ok(list.length >= 4);
  const problems: string[] = [];
  for (const f of list) {
    const text = fs.readFileSync(path.join(srcDir, f), 'utf8');
    for (const tok of FORBIDDEN) if (text.includes(tok)) problems.push(`${f} mentions ${tok}`);
    for (const m of text.matchAll(/from\s+'([^']+)'/g)) if (!m[1]!.startsWith('.')) problems.push(`${f} imports ${m[1]}`);
  }
  assert.deepEqual(problems, []);
});
