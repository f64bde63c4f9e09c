/**
 * pino JSON lines on stderr (etcd's zap defaults: JSON to stderr), with etcd-like field names.
 * `--log-outputs` stdout or a file path is honoured; `default`/`stderr` mean stderr.
 */
import pino, { type Logger } from 'pino';
import type { Config } from './config/config';

const LEVELS: Record<Config['logLevel'], pino.Level> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  panic: 'fatal',
  fatal: 'fatal',
};

export function createLogger(c: Pick<Config, 'logLevel' | 'logOutputs' | 'name'>): Logger {
  const out = c.logOutputs[0] ?? 'default';
  const dest =
    out === 'stdout'
      ? pino.destination({ fd: 1, sync: false })
      : out === 'default' || out === 'stderr' || out === 'systemd/journal'
        ? pino.destination({ fd: 2, sync: false })
        : pino.destination({ dest: out, sync: false, mkdir: true });
  return pino(
    {
      level: LEVELS[c.logLevel],
      base: { name: c.name, pid: process.pid },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
}
