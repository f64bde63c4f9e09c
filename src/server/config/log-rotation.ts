/**
 * `--enable-log-rotation` and `--log-rotation-config-json`, checked as etcd 3.6's
 * setupLogRotation checks them (one file output; the JSON decoded into lumberjack's Logger with
 * encoding/json's errors) and turned into the rotation settings. Pure.
 */
import { ConfigError } from './error';
import { type GoJsonValue, GoJsonSyntaxError, goJsonKind, parseGoJson } from './go-json';

/** etcd's DefaultLogRotationConfig. */
export const DEFAULT_LOG_ROTATION_CONFIG_JSON = '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}';

/** lumberjack.Logger's settings, sizes in bytes. */
export interface LogRotation {
  /** The file rotated: the one file among --log-outputs. */
  path: string;
  /** maxsize (MB) in bytes; lumberjack's 100 MB when maxsize <= 0. */
  maxBytes: number;
  /** maxage in days; 0 keeps backups whatever their age. */
  maxAgeDays: number;
  /** maxbackups; 0 keeps them all. */
  maxBackups: number;
  /** Backup names in local time instead of UTC. */
  localTime: boolean;
  /** Gzip backups. */
  compress: boolean;
}

const MB = 1024 * 1024;
const NON_FILE_OUTPUTS = ['default', 'stderr', 'stdout'];
const INVALID_OUTPUT = '--log-outputs requires a single file path when --log-rotate-config-json is defined';

/** lumberjack.Logger's JSON fields and their Go types. */
const FIELDS: Record<string, 'string' | 'int' | 'bool'> = {
  filename: 'string',
  maxsize: 'int',
  maxage: 'int',
  maxbackups: 'int',
  localtime: 'bool',
  compress: 'bool',
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function typeError(field: string, v: Exclude<GoJsonValue, null>, type: string): ConfigError {
  const kind = goJsonKind(v);
  const shown = typeof v === 'object' && 'number' in v ? `number ${v.number}` : kind;
  return new ConfigError(
    `invalid log rotation config: json: cannot unmarshal ${shown} into Go struct field logRotationConfig.Logger.${field} of type ${type}`,
  );
}

/** One member's value as its Go field takes it, or a type error. */
function fieldValue(field: string, v: Exclude<GoJsonValue, null>): string | bigint | boolean {
  const type = FIELDS[field]!;
  if (type === 'string') {
    if (typeof v !== 'string') throw typeError(field, v, type);
    return v;
  }
  if (type === 'bool') {
    if (typeof v !== 'boolean') throw typeError(field, v, type);
    return v;
  }
  if (typeof v !== 'object' || !('number' in v) || !/^-?\d+$/.test(v.number)) throw typeError(field, v, type);
  const n = BigInt(v.number);
  if (n < INT64_MIN || n > INT64_MAX) throw typeError(field, v, type);
  return n;
}

/** The decoded JSON: members matched to fields case-insensitively, later ones winning, as Go does. */
function decode(json: string): Map<string, string | bigint | boolean> {
  let parsed: GoJsonValue;
  try {
    parsed = parseGoJson(json);
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) throw new ConfigError(`improperly formatted log rotation config: ${e.message}`);
    throw e;
  }
  const out = new Map<string, string | bigint | boolean>();
  if (parsed === null) return out;
  if (typeof parsed !== 'object' || Array.isArray(parsed) || 'number' in parsed) {
    throw new ConfigError(
      `invalid log rotation config: json: cannot unmarshal ${goJsonKind(parsed)} into Go value of type embed.logRotationConfig`,
    );
  }
  let first: ConfigError | undefined;
  for (const [key, v] of parsed.members) {
    const field = key.toLowerCase();
    if (!(field in FIELDS) || v === null) continue;
    try {
      out.set(field, fieldValue(field, v));
    } catch (e) {
      // encoding/json keeps decoding after a type error and reports the first one.
      first ??= e as ConfigError;
    }
  }
  if (first !== undefined) throw first;
  return out;
}

function toNumber(v: string | bigint | boolean | undefined): number {
  return typeof v === 'bigint' ? Number(v) : 0;
}

/**
 * The rotation settings for `outputs` when rotation is enabled, or etcd's error: the outputs
 * must hold at most one file path (and one unless there are several outputs), and the JSON must
 * decode. Undefined when there is no file to rotate (`stderr,stdout`), which etcd accepts.
 */
export function logRotation(outputs: string[], json: string): LogRotation | undefined {
  const files = outputs.filter((o) => !NON_FILE_OUTPUTS.includes(o));
  if ((outputs.length === 1 && files.length === 0) || files.length > 1) throw new ConfigError(INVALID_OUTPUT);
  const f = decode(json);
  if (files[0] === undefined) return undefined;
  const maxSize = toNumber(f.get('maxsize'));
  return {
    path: files[0],
    maxBytes: (maxSize > 0 ? maxSize : 100) * MB,
    maxAgeDays: Math.max(0, toNumber(f.get('maxage'))),
    maxBackups: Math.max(0, toNumber(f.get('maxbackups'))),
    localTime: f.get('localtime') === true,
    compress: f.get('compress') === true,
  };
}
