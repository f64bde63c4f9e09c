/**
 * etcd's command line, parsed by yargs with Go `flag` semantics: go-argv.ts rewrites argv into
 * canonical tokens, yargs matches them against the option table, collects and types the
 * values and reports what is wrong (unknown flag, missing argument) in Go's words.
 */
import yargs from 'yargs/yargs';
import type { FlagDef } from './flag-table';
import { goArgv } from './go-argv';
import { GO_PARSER_CONFIGURATION, yargsOptions } from './yargs-options';

export class FlagSyntaxError extends Error {
  override readonly name = 'FlagSyntaxError';
}

/** `values`: flag name -> value as given (booleans as "true"/"false"); `rest`: the non-flag arguments. */
export type GoFlagsResult = { kind: 'help' } | { kind: 'ok'; values: Map<string, string>; rest: string[] };

const unknownFlag = (name: string): string => `flag provided but not defined: -${name}`;

/** yargs's (English) failure texts -> Go's. */
const YARGS_FAILURES: ReadonlyArray<[RegExp, (name: string) => string]> = [
  [/^Unknown arguments?: (.*)$/s, unknownFlag],
  [/^Not enough arguments following: (.*)$/s, (name) => `flag needs an argument: -${name}`],
];

function goFailure(msg: string): string {
  for (const [re, text] of YARGS_FAILURES) {
    const m = re.exec(msg);
    if (m !== null) return text(m[1] ?? '');
  }
  throw new Error(`unexpected yargs failure: ${msg}`);
}

/** Throws FlagSyntaxError with Go's text, as etcd's flag set (ContinueOnError) returns it. */
export function parseGoFlags(argv: readonly string[], defs: ReadonlyMap<string, FlagDef>): GoFlagsResult {
  const pre = goArgv(argv, defs);
  if (pre.kind === 'error') throw new FlagSyntaxError(pre.message);

  let failure: string | undefined;
  const parsed = yargs()
    .locale('en')
    .version(false)
    .help(false)
    .exitProcess(false)
    .parserConfiguration(GO_PARSER_CONFIGURATION)
    .options(yargsOptions(defs))
    .strictOptions()
    .fail((msg: string | null, err: Error | undefined) => {
      failure ??= msg ?? err?.message ?? 'yargs failed';
    })
    .parseSync(pre.tokens);
  if (failure !== undefined) throw new FlagSyntaxError(goFailure(failure));
  const unknown = parsed._[0];
  if (unknown !== undefined) throw new FlagSyntaxError(unknownFlag(String(unknown).replace(/^--/, '')));
  if (parsed['help'] === true) return { kind: 'help' };

  const values = new Map<string, string>();
  for (const name of defs.keys()) {
    const v = parsed[name];
    if (v !== undefined) values.set(name, String(v));
  }
  const rest = parsed['--'];
  return { kind: 'ok', values, rest: Array.isArray(rest) ? rest.map(String) : [] };
}
