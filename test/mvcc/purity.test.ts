import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// src/mvcc is a pure core: no I/O modules, no clock, no randomness.
test('src/mvcc imports no I/O modules and never reads the clock or Math.random', () => {
  const dir = join(__dirname, '..', '..', '..', 'src', 'mvcc');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 0);
  const banned = [/from '(node:)?(fs|net|http|http2|timers|child_process|dgram)'/, /@grpc\/grpc-js/, /from 'level'/, /from 'pino'/, /Date\.now/, /performance\.now/, /Math\.random/, /setTimeout|setInterval|setImmediate/, /new Date\(/];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const re of banned) assert.ok(!re.test(text), `${f} matches ${re}`);
  }
});
