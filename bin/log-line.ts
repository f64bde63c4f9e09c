/** One structured log line (zap/pino-style JSON) as etcd prints them on stderr. */
export type LogFields = Record<string, string | number | boolean | string[]>;

export function logLine(level: 'info' | 'warn' | 'error' | 'fatal', msg: string, fields: LogFields = {}, now: Date = new Date()): string {
  return JSON.stringify({ level, ts: now.toISOString(), msg, ...fields });
}
