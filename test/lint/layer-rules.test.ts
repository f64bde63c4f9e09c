/**
 * The layer rules of eslint.config.mjs fire: each forbidden import below is reported with its
 * rule's message, and the allowed forms next to it are not. (`npm run lint` checks the tree; this
 * checks that the rules it runs are not vacuous.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

async function messages(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (r?.messages ?? []).filter((m) => m.ruleId?.endsWith('no-restricted-imports')).map((m) => m.message);
}

const cases: { file: string; code: string; rejected: RegExp | undefined }[] = [
  {
    file: 'src/server/wire/x.ts',
    code: "import { WaitRegistry } from '../engine/wait';\nexport const a = WaitRegistry;",
    rejected: /bottom layer/,
  },
  { file: 'src/server/config/x.ts', code: "import { unary } from '../api/unary';\nexport const a = unary;", rejected: /bottom layer/ },
  {
    file: 'src/server/engine/x.ts',
    code: "import { unary } from '../api/unary';\nexport const a = unary;",
    rejected: /engine does not import the api/,
  },
  {
    file: 'src/server/engine/peer/x.ts',
    code: "import { startServer } from '../../server';\nexport const a = startServer;",
    rejected: /engine does not import/,
  },
  { file: 'src/server/engine/x.ts', code: "import { method } from '../wire/protos';\nexport const a = method;", rejected: undefined },
  {
    file: 'src/server/api/x.ts',
    code: "import { WaitRegistry } from '../engine/wait';\nexport const a = WaitRegistry;",
    rejected: /interfaces only/,
  },
  {
    file: 'src/server/api/x.ts',
    code: "import type { EtcdMember } from '../engine/member';\nexport type A = EtcdMember;",
    rejected: /never EtcdMember/,
  },
  {
    file: 'src/server/api/x.ts',
    code: "import type { MemberApi } from '../engine/member-api';\nexport type A = MemberApi;",
    rejected: undefined,
  },
  {
    file: 'src/server/api/lease/x.ts',
    code: "import type { WatchHub } from '../../engine/watch/hub';\nexport type A = WatchHub;",
    rejected: undefined,
  },
  { file: 'src/raft/x.ts', code: "import { Reader } from '../encoding/varint';\nexport const a = Reader;", rejected: undefined },
  { file: 'src/raft/x.ts', code: "import { MvccStore } from '../mvcc';\nexport const a = MvccStore;", rejected: /src\/raft is pure/ },
  {
    file: 'src/mvcc/x.ts',
    code: "import { EtcdMember } from '../server/engine/member';\nexport const a = EtcdMember;",
    rejected: /src\/mvcc is pure/,
  },
  {
    file: 'src/encoding/x.ts',
    code: "import { EtcdError } from '../errors';\nexport const a = EtcdError;",
    rejected: /src\/encoding is pure/,
  },
];

for (const c of cases) {
  test(`${c.file}: ${c.code.split('\n')[0]} ${c.rejected ? 'is rejected' : 'is allowed'}`, async () => {
    const m = await messages(c.file, c.code);
    if (c.rejected === undefined) assert.deepEqual(m, []);
    else assert.ok(m.length === 1 && c.rejected.test(m[0]!), `expected one message matching ${c.rejected}, got ${JSON.stringify(m)}`);
  });
}
