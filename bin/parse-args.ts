/**
 * `etcd` command line + ETCD_* environment -> Config, with etcd 3.6's rules and texts.
 * Pure: reads only its arguments (a --config-file through the injected readFile), starts nothing.
 */
import { type Config, ConfigError, validateConfig } from '../src/server/config/config';
import { buildConfig } from './build-config';
import { ConfigFileError, configFileValues } from './config-file';
import { applyEnv, flagToEnv } from './env-flags';
import { EXPERIMENTAL_FLAG_MIGRATION, FLAGS } from './flag-table';
import { FlagSyntaxError, parseGoFlags } from './go-flags';
import { parseGoDuration } from '../src/server/config/duration';
import { helpText } from './help-text';
import { type LogFields, logLine } from './log-line';
import { versionText } from './version-text';

export type ParseResult =
  { kind: 'run'; config: Config; warnings: string[] } | { kind: 'exit'; code: number; stdout?: string; stderr?: string };

export interface ParseOptions {
  /** Clock for log-line timestamps (tests). */
  now?: () => Date;
  /** Reads a --config-file (main: fs.readFileSync); without it a config file cannot be read. */
  readFile?: (path: string) => string;
}

/** Exit code for unusable flags. (etcd itself exits 2 on Go flag-syntax errors, 1 on the rest.) */
export const EXIT_BAD_CONFIG = 1;

export const NOT_IMPLEMENTED_MSG = 'flag is accepted but not implemented yet; ignoring it';

const DEPRECATED_IMPLEMENTED: Record<string, string> = {
  'experimental-watch-progress-notify-interval':
    "--experimental-watch-progress-notify-interval is deprecated in v3.6 and will be decommissioned in v3.7. Use '--watch-progress-notify-interval' instead.",
  'experimental-snapshot-catchup-entries':
    "--experimental-snapshot-catchup-entries is deprecated in v3.6 and will be decommissioned in v3.7. Use '--snapshot-catchup-entries' instead.",
};

export function parseArgs(argv: readonly string[], env: Record<string, string | undefined>, opts: ParseOptions = {}): ParseResult {
  const now = opts.now ?? (() => new Date());
  const line = (level: 'warn' | 'fatal', msg: string, fields: LogFields = {}): string => logLine(level, msg, fields, now());
  const fail = (err: string): ParseResult => failure(line, err);

  let cmd;
  try {
    cmd = parseGoFlags(argv, FLAGS);
  } catch (e) {
    if (e instanceof FlagSyntaxError) return { kind: 'exit', code: EXIT_BAD_CONFIG, stderr: `${e.message}\n` };
    throw e;
  }
  if (cmd.kind === 'help') return { kind: 'exit', code: 0, stdout: helpText() };
  if (cmd.rest.length > 0) return fail(`${JSON.stringify(cmd.rest[0])} is not a valid flag`);
  if (cmd.values.get('version') === 'true') {
    return { kind: 'exit', code: 0, stdout: versionText() };
  }

  const warnings: string[] = [];
  // etcd: a config file (--config-file, else ETCD_CONFIG_FILE) replaces every other flag and
  // the environment.
  const configFile = cmd.values.get('config-file') || env['ETCD_CONFIG_FILE'] || '';
  let values: Map<string, string>;
  let fromEnv = new Map<string, string>();
  if (configFile !== '') {
    const file = readConfigFile(configFile, opts.readFile);
    if (typeof file === 'string') return fail(file);
    values = file.values;
    warnings.push(
      logLine(
        'info',
        'loaded server configuration, other configuration command line flags and environment variables will be ignored if provided',
        { path: configFile },
        now(),
      ),
    );
    for (const key of file.unknown) warnings.push(line('warn', 'unknown configuration key; ignoring it', { key, path: configFile }));
    for (const key of file.unsupported) warnings.push(line('warn', NOT_IMPLEMENTED_MSG, { key, path: configFile }));
  } else {
    const fromCmd = fromCommandLine(cmd.values, env, line, warnings);
    if ('exit' in fromCmd) return fromCmd.exit;
    values = fromCmd.values;
    fromEnv = fromCmd.fromEnv;
  }
  values.delete('version');
  values.delete('config-file');

  for (const [oldFlag, newFlag] of EXPERIMENTAL_FLAG_MIGRATION) {
    if (values.has(oldFlag) && values.has(newFlag)) {
      return fail(`cannot set --${oldFlag} and --${newFlag} at the same time, please use --${newFlag} only`);
    }
  }
  const ewu = values.get('experimental-warning-unary-request-duration');
  const wu = values.get('warning-unary-request-duration');
  if (ewu !== undefined && wu !== undefined && parseGoDuration(ewu) !== 0 && parseGoDuration(wu) !== 0) {
    return fail(
      'both --experimental-warning-unary-request-duration and --warning-unary-request-duration flags are set. Use only --warning-unary-request-duration',
    );
  }
  if (values.get('discovery-fallback') === 'proxy') {
    return fail('v2 proxy is deprecated, and --discovery-fallback can\'t be configured as "proxy"');
  }

  const unimplemented: string[] = [];
  for (const name of [...values.keys()].sort()) {
    const def = FLAGS.get(name);
    if (def === undefined || def.implemented) continue;
    unimplemented.push(`--${name}`);
    const fields: LogFields = { flag: `--${name}` };
    if (fromEnv.has(name)) fields['environment-variable'] = flagToEnv(name);
    if (def.kind === 'ignored') warnings.push(line('warn', 'flag is no longer supported - ignoring', fields));
    else warnings.push(line('warn', NOT_IMPLEMENTED_MSG, fields));
  }
  for (const name of Object.keys(DEPRECATED_IMPLEMENTED)) {
    const msg = DEPRECATED_IMPLEMENTED[name];
    if (values.has(name) && msg !== undefined) warnings.push(line('warn', msg));
  }

  try {
    const { config, notes } = buildConfig(values, unimplemented);
    validateConfig(config);
    if (config.name === 'default') {
      warnings.push(
        line(
          'warn',
          "it isn't recommended to use default name, please set a value for --name. Note that etcd might run into issue when multiple members have the same default name",
          { name: config.name },
        ),
      );
    }
    for (const [msg, fields] of notes) warnings.push(line('warn', msg, fields));
    return { kind: 'run', config, warnings };
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.message);
    throw e;
  }
}

type Line = (level: 'warn' | 'fatal', msg: string, fields?: LogFields) => string;

/** Flags and the ETCD_* environment (no config file), with etcd's conflict and validity checks. */
function fromCommandLine(
  cmdValues: Map<string, string>,
  env: Record<string, string | undefined>,
  line: Line,
  warnings: string[],
): { values: Map<string, string>; fromEnv: Map<string, string> } | { exit: ParseResult } {
  const envCopy = { ...env };
  const special = envCopy['ETCD_VERSION'];
  if (special !== undefined && special !== '') {
    delete envCopy['ETCD_VERSION'];
    warnings.push(line('warn', 'cannot set special environment variable', { key: 'ETCD_VERSION', value: special }));
  }
  const envRes = applyEnv(FLAGS, cmdValues, envCopy);
  if (envRes.conflict !== undefined) {
    return {
      exit: {
        kind: 'exit',
        code: EXIT_BAD_CONFIG,
        stderr:
          line(
            'fatal',
            'conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))',
            { 'environment-variable': envRes.conflict },
          ) + '\n',
      },
    };
  }
  for (const kv of envRes.unrecognized) warnings.push(line('warn', 'unrecognized environment variable', { 'environment-variable': kv }));
  if (envRes.invalid !== undefined) return { exit: failure(line, envRes.invalid) };
  return { values: new Map<string, string>([...cmdValues, ...envRes.fromEnv]), fromEnv: envRes.fromEnv };
}

function failure(line: Line, err: string): ParseResult {
  return { kind: 'exit', code: EXIT_BAD_CONFIG, stderr: line('warn', 'failed to verify flags', { error: err }) + '\n' };
}

/** The config file's flag values, or the error etcd prints for it (Go's texts for open/read errors). */
function readConfigFile(path: string, readFile: ((path: string) => string) | undefined): ReturnType<typeof configFileValues> | string {
  if (readFile === undefined) return `open ${path}: cannot read files here`;
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `open ${path}: no such file or directory`;
    if (code === 'EACCES') return `open ${path}: permission denied`;
    if (code === 'EISDIR') return `read ${path}: is a directory`;
    return `open ${path}: ${(e as Error).message}`;
  }
  try {
    return configFileValues(text);
  } catch (e) {
    if (e instanceof ConfigFileError) return e.message;
    throw e;
  }
}
