/**
 * The yargs side of etcd's command line: the option table generated from flag-table.ts and
 * the parser configuration that gives yargs Go's `flag` semantics for the tokens go-argv.ts
 * emits. Values stay strings (Go syntax is checked by go-values.ts); booleans are yargs
 * booleans. No defaults here: etcd's defaults depend on other flags (data dir and initial
 * cluster follow --name) and "set or not" matters (ETCD_* shadowing, --listen-client-urls
 * needing --advertise-client-urls), so build-config.ts applies them.
 */
import type { Options, ParserConfigurationOptions } from 'yargs';
import { type FlagDef, isBoolFlag } from './flag-table';

export const GO_PARSER_CONFIGURATION: Partial<ParserConfigurationOptions> = {
  'short-option-groups': false, // -abc is the flag "abc"
  'camel-case-expansion': false, // keys are etcd's flag names
  'dot-notation': false, // --test.coverprofile is one flag
  'boolean-negation': false, // Go has no --no-flag
  'duplicate-arguments-array': false, // the last occurrence wins
  'parse-numbers': false, // values are checked and converted with Go's rules
  'parse-positional-numbers': false,
  'halt-at-non-option': true, // flags end at the first non-flag argument
  'populate--': true, // what follows the flags goes to argv['--'], not argv._
  'unknown-options-as-args': true, // an undefined flag lands in argv._ (never becomes a key)
  'strip-aliased': true, // -h is reported as help only
};

export function yargsOptions(defs: ReadonlyMap<string, FlagDef>): Record<string, Options> {
  const options: Record<string, Options> = {};
  for (const def of defs.values()) {
    options[def.name] = isBoolFlag(def) ? { type: 'boolean' } : { type: 'string', requiresArg: true };
  }
  // Go's flag package answers -h/-help (when no such flag is defined) with the usage text.
  options['help'] = { type: 'boolean', alias: 'h' };
  return options;
}
