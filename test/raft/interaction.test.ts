import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runFile } from './harness/datadriven';
import { InteractionEnv } from './harness/env';
import { handle } from './harness/handlers';

const dir = path.resolve(__dirname, '../../../test/raft/testdata');

for (const f of fs
  .readdirSync(dir)
  .filter((x) => x.endsWith('.txt'))
  .sort()) {
  test(`transcript ${f}`, () => {
    const env = new InteractionEnv();
    const failures = runFile(path.join(dir, f), (tc) => handle(env, tc));
    assert.equal(failures.length, 0, failures.join('\n\n'));
  });
}
