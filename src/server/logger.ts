/**
 * The member's log, as etcd's zap logger is configured by --log-level, --log-outputs and
 * --log-format: JSON lines (or zap's console form) on every output named: `default` and `stderr`
 * (stderr), `stdout`, or a file path (appended to; the file must be creatable, as etcd's sink),
 * rotated with --enable-log-rotation.
 */
import { openSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Config } from './config/config';
import { ConfigError } from './config/error';
import { type LogRotation, logRotation } from './config/log-rotation';
import { RotatingLogFile } from './rotating-log-file';

const LEVELS: Record<Config['logLevel'], pino.Level> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  panic: 'fatal',
  fatal: 'fatal',
};

type Sink = { write(s: string): unknown };

/**
 * One output; a file is opened (created) here, once, so that a bad path fails at start with
 * etcd's text. The file named by --log-rotation-config-json's rotation is a RotatingLogFile.
 */
function sink(out: string, rotation: LogRotation | undefined): Sink {
  if (out === 'stdout') return pino.destination({ fd: 1, sync: false });
  if (out === 'default' || out === 'stderr' || out === 'systemd/journal') return pino.destination({ fd: 2, sync: false });
  let fd: number;
  try {
    if (rotation !== undefined && rotation.path === out) return new RotatingLogFile(rotation);
    fd = openSync(out, 'a');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    throw new ConfigError(`open sink ${JSON.stringify(out)}: open ${out}: ${reason}`);
  }
  return pino.destination({ fd, sync: false });
}

/**
 * zap's console encoding of one JSON line: time, level, message and the other fields as JSON
 * with zap's spacing (etcd's third column, the caller, is not known here and left out).
 */
export function consoleLine(json: string): string {
  const { time, level, msg, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const rest = Object.keys(fields).length === 0 ? '' : `\t${zapJson(fields)}`;
  return `${String(time)}\t${String(level)}\t${String(msg ?? '')}${rest}\n`;
}

/** JSON as zap's console encoder spaces it: `{"k": v, "k2": [1, 2]}`. */
function zapJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(zapJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${zapJson(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function consoleSink(to: Sink): Sink {
  return { write: (s: string) => to.write(consoleLine(s)) };
}

export function createLogger(
  c: Pick<Config, 'logLevel' | 'logOutputs' | 'logFormat' | 'name' | 'enableLogRotation' | 'logRotationConfigJson'>,
): Logger {
  const outputs = c.logOutputs.length > 0 ? c.logOutputs : ['default'];
  const rotation = c.enableLogRotation ? logRotation(outputs, c.logRotationConfigJson) : undefined;
  const sinks = outputs.map((o) => sink(o, rotation)).map((s) => (c.logFormat === 'console' ? consoleSink(s) : s));
  const stream = sinks.length === 1 ? sinks[0]! : pino.multistream(sinks.map((s) => ({ stream: s, level: 'trace' as const })));
  return pino(
    {
      level: LEVELS[c.logLevel],
      base: { name: c.name, pid: process.pid },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
