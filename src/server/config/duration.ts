/**
 * Go's time.ParseDuration ("300ms", "1.5h", "2h45m", "-1s"), returning milliseconds.
 * Errors carry Go's texts (`time: invalid duration "x"`, `time: missing unit in duration "10"`).
 */
import { ConfigError } from './error';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export function parseGoDuration(input: string): number {
  const quoted = JSON.stringify(input);
  const invalid = (): ConfigError => new ConfigError(`time: invalid duration ${quoted}`);
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = num?.[1] ?? '';
    const frac = num?.[2];
    if (whole === '' && (frac === undefined || frac === '')) throw invalid();
    s = s.slice(num?.[0].length ?? 0);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (unitMatch === null) throw new ConfigError(`time: missing unit in duration ${quoted}`);
    const unit = unitMatch[0];
    const scale = UNIT_MS[unit];
    if (scale === undefined) throw new ConfigError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    s = s.slice(unit.length);
    total += Number(`${whole === '' ? '0' : whole}.${frac ?? '0'}`) * scale;
  }
  return sign * total;
}

/** Go's Duration.String() for a millisecond count (enough for help text and log lines). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${+rest.toFixed(6)}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = +(rest / 1000).toFixed(9);
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${sec}s`;
  return (neg ? '-' : '') + out;
}
