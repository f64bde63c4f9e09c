/**
 * etcd's pkg/flags.SetFlagsFromEnv: every flag not given on the command line is taken from
 * `ETCD_<FLAG>` when that variable is non-empty. A variable whose flag was also given on the
 * command line is fatal; unknown `ETCD_*` variables only warn.
 */
import type { FlagDef } from './flag-table';
import { checkFlagValue } from './go-values';

export function flagToEnv(name: string): string {
  return 'ETCD_' + name.replace(/-/g, '_').toUpperCase();
}

export interface EnvResult {
  /** Flags set from the environment: flag name -> value. */
  fromEnv: Map<string, string>;
  /** `K=V` of ETCD_* variables that match no flag (etcd: "unrecognized environment variable"). */
  unrecognized: string[];
  /** First env variable shadowed by a command-line flag (fatal in etcd), if any. */
  conflict?: string;
  /** First invalid env value, as etcd's text (`invalid value "x" for ETCD_X: parse error`). */
  invalid?: string;
}

export function applyEnv(
  defs: ReadonlyMap<string, FlagDef>,
  cmdline: ReadonlyMap<string, string>,
  env: Record<string, string | undefined>,
): EnvResult {
  const fromEnv = new Map<string, string>();
  const used = new Set<string>();
  const shadowed = new Set<string>();
  let invalid: string | undefined;
  for (const name of [...defs.keys()].sort()) {
    const def = defs.get(name) as FlagDef;
    const key = flagToEnv(name);
    if (cmdline.has(name)) {
      shadowed.add(key);
      continue;
    }
    const val = env[key];
    if (val === undefined || val === '') continue;
    used.add(key);
    try {
      checkFlagValue(def.kind, val);
      fromEnv.set(name, val);
    } catch (e) {
      invalid ??= `invalid value ${JSON.stringify(val)} for ${key}: ${(e as Error).message}`;
    }
  }
  const unrecognized: string[] = [];
  let conflict: string | undefined;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || used.has(k)) continue;
    if (shadowed.has(k)) {
      conflict ??= k;
      continue;
    }
    if (k.startsWith('ETCD_')) unrecognized.push(`${k}=${v}`);
  }
  const out: EnvResult = { fromEnv, unrecognized };
  if (conflict !== undefined) out.conflict = conflict;
  if (invalid !== undefined) out.invalid = invalid;
  return out;
}
