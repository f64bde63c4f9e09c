/**
 * Command-line parsing with the exact rules of Go's `flag` package (which etcd uses):
 * `-f`, `--f`, `-f=v`, `--f=v`, `-f v` (non-boolean flags only), boolean flags take a value
 * only as `-f=false`; parsing stops at the first non-flag argument or after `--`; `-h`/`-help`
 * request help. Values are checked per flag kind; errors carry Go's texts.
 */
import type { FlagDef } from './flag-table';
import { checkFlagValue } from './go-values';

export class FlagSyntaxError extends Error {
  override readonly name = 'FlagSyntaxError';
}

export type GoFlagsResult =
  | { kind: 'help' }
  | { kind: 'ok'; values: Map<string, string>; rest: string[] };

function isBoolKind(def: FlagDef): boolean {
  return def.kind === 'bool' || def.kind === 'ignored';
}

/** Sets a flag from the command line (Go's "invalid value" / "invalid boolean value" texts). */
function setFromArg(def: FlagDef, value: string, values: Map<string, string>): void {
  try {
    checkFlagValue(def.kind, value);
  } catch (e) {
    const reason = (e as Error).message;
    if (def.kind === 'bool') throw new FlagSyntaxError(`invalid boolean value ${JSON.stringify(value)} for -${def.name}: ${reason}`);
    throw new FlagSyntaxError(`invalid value ${JSON.stringify(value)} for flag -${def.name}: ${reason}`);
  }
  values.set(def.name, value);
}

export function parseGoFlags(argv: readonly string[], defs: ReadonlyMap<string, FlagDef>): GoFlagsResult {
  const values = new Map<string, string>();
  let i = 0;
  while (i < argv.length) {
    const s = argv[i] ?? '';
    if (s.length < 2 || s[0] !== '-') break;
    let minuses = 1;
    if (s[1] === '-') {
      minuses = 2;
      if (s.length === 2) {
        i++;
        break;
      }
    }
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new FlagSyntaxError(`bad flag syntax: ${s}`);
    i++;
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const def = defs.get(name);
    if (def === undefined) {
      if (name === 'help' || name === 'h') return { kind: 'help' };
      throw new FlagSyntaxError(`flag provided but not defined: -${name}`);
    }
    if (isBoolKind(def)) {
      setFromArg(def, value ?? 'true', values);
      continue;
    }
    if (value === undefined) {
      if (i >= argv.length) throw new FlagSyntaxError(`flag needs an argument: -${name}`);
      value = argv[i] ?? '';
      i++;
    }
    setFromArg(def, value, values);
  }
  return { kind: 'ok', values, rest: argv.slice(i) };
}
