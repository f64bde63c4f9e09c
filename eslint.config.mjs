// ESLint (flat config): typescript-eslint's recommended rules for the whole tree, plus the
// project's structural rules as lint rules:
//   - src/raft, src/mvcc and src/lease are pure cores: no I/O, no clock, no timers, no randomness,
//     and they import only what their layer allows (src/raft nothing outside itself; src/mvcc the
//     error kinds and sorted-btree; src/lease the error kinds and src/mvcc's types);
//   - src/encoding (protobuf varints, crc32c) is pure and imports nothing; the cores may use it;
//   - no core imports src/server; bin/ imports the server only through its config and entry points;
//   - src/server is layered, each layer importing only downwards: wire and config (bottom), engine
//     (the member: Raft loop, apply, storage, membership, peers), api (gRPC services, HTTP), and
//     server.ts/logger.ts on top composing them. The api layer sees the engine through interfaces
//     only (type imports; never EtcdMember itself, which it gets as MemberApi).
// Import cycles are checked by madge (`npm run lint`, see .madgerc).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** A core reads no clock, sets no timer and draws no random numbers: time and ids are injected. */
const noClockNoRandom = {
  'no-restricted-globals': [
    'error',
    ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'performance', 'process'].map(
      (name) => ({
        name,
        message: 'a pure core reads no clock and sets no timer: inject time from src/server',
      }),
    ),
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'a pure core reads no clock: inject it' },
    { object: 'Math', property: 'random', message: 'a pure core draws no random numbers: inject them' },
  ],
  'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'a pure core reads no clock: inject it' }],
};

/** Imports a core may make: `allowed` are regexes of module specifiers that are NOT restricted. */
function onlyImports(allowed, why) {
  const rule = {
    patterns: [{ regex: `^(?!(${allowed.join('|')})$)`, message: why }],
  };
  return {
    'no-restricted-imports': ['error', rule],
    '@typescript-eslint/no-restricted-imports': 'off',
  };
}

/** Upward imports a server layer may not make (regexes of module specifiers). */
function layer(forbidden, why, extra = []) {
  return {
    '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: forbidden, message: why }, ...extra] }],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'test/go/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/raft/**/*.ts'],
    rules: {
      ...noClockNoRandom,
      ...onlyImports(['\\./[\\w./-]+', '\\.\\./encoding/varint'], 'src/raft is pure: its own modules and src/encoding only'),
    },
  },
  {
    files: ['src/mvcc/**/*.ts'],
    rules: {
      ...noClockNoRandom,
      ...onlyImports(
        ['\\./[\\w./-]+', '\\.\\./errors', '\\.\\./encoding/[\\w-]+', 'sorted-btree(/extended/bulkLoad)?'],
        'src/mvcc is pure: its own modules, ../errors, src/encoding and sorted-btree only',
      ),
    },
  },
  {
    files: ['src/lease/**/*.ts'],
    rules: {
      ...noClockNoRandom,
      ...onlyImports(
        ['\\./[\\w./-]+', '\\.\\./errors', '\\.\\./mvcc/[\\w-]+'],
        'src/lease is pure: its own modules, ../errors and src/mvcc only',
      ),
    },
  },
  {
    // Small files, one concept each; src/raft's Raft state machine is the one exception (as in etcd-io/raft).
    files: ['src/**/*.ts', 'bin/**/*.ts'],
    ignores: ['src/raft/**'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ['src/encoding/**/*.ts'],
    rules: {
      ...noClockNoRandom,
      ...onlyImports(['\\./[\\w./-]+'], 'src/encoding is pure and self-contained: it imports only its own modules'),
    },
  },
  {
    files: ['src/server/wire/**/*.ts', 'src/server/config/**/*.ts'],
    rules: layer(
      '^(\\.\\./)+(engine|api|tls)(/|$)|^(\\.\\./)+(server|logger)$',
      'wire and config are the bottom layer: they import nothing from engine, api, tls or the server',
    ),
  },
  {
    files: ['src/server/tls/**/*.ts'],
    rules: layer(
      '^(\\.\\./)+(engine|api|wire)(/|$)|^(\\.\\./)+(server|logger)$',
      'tls (certificates and TLS listeners, for the client and peer ports) sits on config only',
    ),
  },
  {
    files: ['src/server/engine/**/*.ts'],
    rules: layer(
      '^(\\.\\./)+api(/|$)|^(\\.\\./)+(server|logger)$',
      'the engine does not import the api layer or the server that composes them',
    ),
  },
  {
    files: ['src/server/api/**/*.ts'],
    rules: layer('^(\\.\\./)+(server|logger)$', 'the api layer does not import the server that composes it', [
      {
        regex: '^(\\.\\./)+engine/member$',
        message: 'the api layer sees the member as MemberApi (engine/member-api), never EtcdMember',
      },
      {
        regex: '^(\\.\\./)+engine/(?!member$)',
        allowTypeImports: true,
        message: 'the api layer imports the engine through its interfaces only (type imports)',
      },
    ]),
  },
  {
    files: ['bin/**/*.ts'],
    rules: onlyImports(
      [
        '\\./[\\w./-]+',
        '\\.\\./src/server/(server|config/config|config/duration|config/urls)',
        '\\.\\./src/version',
        'yargs',
        'yargs/yargs',
        'yaml',
        'node:fs',
      ],
      'bin/ only parses flags (and reads a --config-file) and starts the server: flag modules, the config and the server entry point',
    ),
  },
);
