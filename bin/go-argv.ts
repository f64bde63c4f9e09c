/**
 * Pre-pass for yargs: walks argv with the rules of Go's `flag` package (which etcd uses) and
 * rewrites it into tokens yargs reads the same way Go does. Go's rules depend on the flag table:
 * `-f x` gives x to f only when f is not boolean (`--pre-vote false` leaves "false" as an argument),
 * a value may start with a dash, and each occurrence's value is checked when it is set (a later
 * good value does not excuse an earlier bad one). So this pass:
 *   - reads `-f`/`--f`, `-f=v`/`--f=v` and `-f v` (non-boolean flags) as Go does;
 *   - checks every value of a known flag and emits it as `--f=v` (booleans as `--f=true|false`);
 *   - emits the last flag that lacks its value bare (`--f`), for yargs to report;
 *   - emits an undefined name (which includes -h/-help) bare and stops there, as Go stops at it;
 *     yargs then reports the unknown option or sees the help request;
 *   - stops at the first non-flag argument or after `--`, and emits `--` plus the rest.
 * Errors yargs cannot see (bad syntax, a bad value) end the walk with Go's text.
 */
import { type FlagDef, isBoolFlag } from './flag-table';
import { checkFlagValue, parseGoBool } from './go-values';

export type GoArgv = { kind: 'tokens'; tokens: string[] } | { kind: 'error'; message: string };

/** Go's texts for a value its flag.Value rejects. */
function badValue(def: FlagDef, value: string, reason: string): string {
  if (def.kind === 'bool') return `invalid boolean value ${JSON.stringify(value)} for -${def.name}: ${reason}`;
  return `invalid value ${JSON.stringify(value)} for flag -${def.name}: ${reason}`;
}

/** Canonical yargs token for a checked value (booleans normalised from Go's spellings). */
function token(def: FlagDef, value: string): string {
  if (def.kind === 'bool') return `--${def.name}=${parseGoBool(value)}`;
  if (def.kind === 'ignored') return `--${def.name}=true`;
  return `--${def.name}=${value}`;
}

export function goArgv(argv: readonly string[], defs: ReadonlyMap<string, FlagDef>): GoArgv {
  const tokens: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const s = argv[i] ?? '';
    if (s.length < 2 || s[0] !== '-') break;
    const minuses = s[1] === '-' ? 2 : 1;
    i++;
    if (s === '--') break;
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') return { kind: 'error', message: `bad flag syntax: ${s}` };
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    const def = defs.get(name);
    if (def === undefined) return { kind: 'tokens', tokens: [...tokens, `--${name}`] };
    if (isBoolFlag(def)) value ??= 'true';
    else if (value === undefined) {
      if (i >= argv.length) return { kind: 'tokens', tokens: [...tokens, `--${name}`] };
      value = argv[i++] ?? '';
    }
    try {
      checkFlagValue(def.kind, value);
    } catch (e) {
      return { kind: 'error', message: badValue(def, value, (e as Error).message) };
    }
    tokens.push(token(def, value));
  }
  const rest = argv.slice(i);
  return { kind: 'tokens', tokens: rest.length > 0 ? [...tokens, '--', ...rest] : tokens };
}
