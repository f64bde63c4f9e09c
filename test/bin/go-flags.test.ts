import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FLAGS } from '../../bin/flag-table';
import { goArgv } from '../../bin/go-argv';
import { FlagSyntaxError, parseGoFlags } from '../../bin/go-flags';

function error(argv: string[]): string {
  try {
    parseGoFlags(argv, FLAGS);
  } catch (e) {
    if (e instanceof FlagSyntaxError) return e.message;
    throw e;
  }
  return assert.fail(`expected a flag error for ${JSON.stringify(argv)}`);
}

function ok(argv: string[]): { values: Record<string, string>; rest: string[] } {
  const r = parseGoFlags(argv, FLAGS);
  if (r.kind !== 'ok') return assert.fail('expected values');
  return { values: Object.fromEntries(r.values), rest: r.rest };
}

test('pre-pass: Go syntax becomes canonical --flag=value tokens for yargs', () => {
  const t = (argv: string[]): unknown => goArgv(argv, FLAGS);
  assert.deepEqual(t(['-name', 'x', '--pre-vote', '-unsafe-no-fsync=F', '--force=anything']), {
    kind: 'tokens',
    tokens: ['--name=x', '--pre-vote=true', '--unsafe-no-fsync=false', '--force=true'],
  });
  // a boolean never takes the next argument: the flags end there
  assert.deepEqual(t(['--pre-vote', 'false', '--name=x']), { kind: 'tokens', tokens: ['--pre-vote=true', '--', 'false', '--name=x'] });
  // "--" is consumed; a value may look like a flag
  assert.deepEqual(t(['--name', '--', '--', 'a']), { kind: 'tokens', tokens: ['--name=--', '--', 'a'] });
  // an undefined name is handed to yargs bare and ends the walk; so is a missing value
  assert.deepEqual(t(['--bogus=1', '--name']), { kind: 'tokens', tokens: ['--bogus'] });
  assert.deepEqual(t(['--data-dir', 'd', '--name']), { kind: 'tokens', tokens: ['--data-dir=d', '--name'] });
  assert.deepEqual(t(['---x']), { kind: 'error', message: 'bad flag syntax: ---x' });
});

test('every occurrence is checked in order, as Go sets each one', () => {
  assert.equal(
    error(['--heartbeat-interval', 'abc', '--heartbeat-interval', '100']),
    'invalid value "abc" for flag -heartbeat-interval: parse error',
  );
  assert.equal(error(['--heartbeat-interval=abc', '--pre-vote=maybe']), 'invalid value "abc" for flag -heartbeat-interval: parse error');
  assert.equal(error(['--pre-vote=maybe', '--heartbeat-interval=abc']), 'invalid boolean value "maybe" for -pre-vote: parse error');
  assert.equal(error(['--pre-vote=', '--bogus']), 'invalid boolean value "" for -pre-vote: parse error');
  // the first problem wins: nothing after an undefined flag is looked at
  assert.equal(error(['--bogus', '--heartbeat-interval=abc']), 'flag provided but not defined: -bogus');
  assert.equal(error(['--name=x', '--bogus', 'extra']), 'flag provided but not defined: -bogus');
});

test('yargs collects values: last occurrence wins, empty values, dotted and one-letter names', () => {
  const r = ok(['--name=a', '-name', 'b', '--data-dir=', '-test.coverprofile', '-v', '--pre-vote=0', 'tail', '--x']);
  assert.deepEqual(r.values, { name: 'b', 'data-dir': '', 'test.coverprofile': 'true', v: 'true', 'pre-vote': 'false' });
  assert.deepEqual(r.rest, ['tail', '--x']);
  assert.deepEqual(ok(['-', '--name=x']).rest, ['-', '--name=x']);
  assert.deepEqual(ok(['', '--name=x']).rest, ['', '--name=x']);
});

test('-h / -help with any value ask for help, unless an earlier flag fails', () => {
  for (const f of ['-h', '--h', '-help', '--help=false', '-h=x'])
    assert.deepEqual(parseGoFlags(['--name=x', f, '--bogus'], FLAGS), { kind: 'help' });
  assert.equal(error(['--bogus', '--help']), 'flag provided but not defined: -bogus');
  assert.equal(error(['--help!']), 'flag provided but not defined: -help!');
});

test("yargs's errors come out in Go's words whatever the locale", () => {
  const saved = { LC_ALL: process.env['LC_ALL'], LANG: process.env['LANG'] };
  process.env['LC_ALL'] = 'de_DE.UTF-8';
  process.env['LANG'] = 'de_DE.UTF-8';
  try {
    assert.equal(error(['--name']), 'flag needs an argument: -name');
    assert.equal(error(['--no-pre-vote']), 'flag provided but not defined: -no-pre-vote');
    assert.equal(error(['--name-']), 'flag provided but not defined: -name-');
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('any undefined name is reported as Go does (including names special to yargs or JavaScript)', () => {
  const special = ['_', '$0', '__proto__', 'constructor', 'toString', 'no-name', 'name!', 'pre-vote-', '1', 'a b', ' ', 'é', 'vv.x'];
  const names = fc.oneof(fc.constantFrom(...special), fc.string({ minLength: 1, maxLength: 12 }));
  fc.assert(
    fc.property(names, fc.constantFrom('-', '--'), fc.option(fc.string({ maxLength: 4 })), (name, dashes, value) => {
      fc.pre(!name.includes('=') && !name.startsWith('-') && !FLAGS.has(name) && name !== 'h' && name !== 'help');
      const arg = value === null ? `${dashes}${name}` : `${dashes}${name}=${value}`;
      assert.equal(error(['--name=x', arg, '--heartbeat-interval=bad']), `flag provided but not defined: -${name}`);
    }),
    { numRuns: 2000 },
  );
});
