/**
 * Value checks of Go's flag package and etcd's flag.Value types, per FlagKind. Each returns
 * normally or throws an Error whose message is what Go prints after "invalid value ... : ".
 */
import { parseGoDuration } from '../src/server/config/duration';
import { parseUrlList } from '../src/server/config/urls';
import type { FlagKind } from './flag-table';

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error('parse error');
}

/**
 * strconv.ParseInt/ParseUint with base 0 (what Go's flag package uses): accepts 0x/0o/0b
 * prefixes, a leading 0 for octal, and '_' separators only after a prefix.
 */
export function parseGoInt(s: string, signed: boolean, bits: number): number {
  let body = s;
  let neg = false;
  if (signed && (body.startsWith('-') || body.startsWith('+'))) {
    neg = body.startsWith('-');
    body = body.slice(1);
  }
  let digits: string;
  let radix: number;
  let prefixed = true;
  const lower = body.toLowerCase();
  if (lower.startsWith('0x')) [radix, digits] = [16, body.slice(2)];
  else if (lower.startsWith('0o')) [radix, digits] = [8, body.slice(2)];
  else if (lower.startsWith('0b')) [radix, digits] = [2, body.slice(2)];
  else if (body.length > 1 && body.startsWith('0')) [radix, digits] = [8, body.slice(1)];
  else [radix, digits, prefixed] = [10, body, false];
  if (prefixed) {
    if (/^_|__|_$/.test(digits)) throw new Error('parse error');
    digits = digits.replace(/_/g, '');
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) throw new Error('parse error');
  let v = 0n;
  for (const ch of digits.toLowerCase()) v = v * BigInt(radix) + BigInt(parseInt(ch, 16));
  if (neg) v = -v;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  if (v > max || v < min) throw new Error('value out of range');
  return Number(v);
}

/** Checks `value` for a flag of `kind`; throws with Go's/etcd's reason text. */
export function checkFlagValue(kind: FlagKind, value: string): void {
  switch (kind) {
    case 'string':
    case 'strings':
    case 'ignored':
      return;
    case 'bool':
      parseGoBool(value);
      return;
    case 'uint':
    case 'uint64':
      parseGoInt(value, false, 64);
      return;
    case 'uint32':
      parseGoInt(value, false, 32);
      return;
    case 'int':
    case 'int64':
      parseGoInt(value, true, 64);
      return;
    case 'duration':
      try {
        parseGoDuration(value);
      } catch {
        throw new Error('parse error');
      }
      return;
    case 'urls':
      parseUrlList(value);
      return;
    case 'urls-or-star':
      if (value !== '*') parseUrlList(value);
      return;
    case 'cluster-state':
      if (value !== 'new' && value !== 'existing') throw new Error('invalid value');
      return;
    case 'discovery-fallback':
      if (value !== 'exit' && value !== 'proxy') throw new Error('invalid value');
      return;
    case 'v2-deprecation':
      for (const v of value.split(',')) {
        if (!['write-only', 'write-only-skip-check', 'write-only-drop-data', 'gone'].includes(v)) {
          throw new Error(`invalid value ${JSON.stringify(v)}`);
        }
      }
      return;
  }
}
