/**
 * A request's header fields as node:http2 hands them to grpc-js: the checks nghttp2 makes before
 * a request reaches the server (a failing request is reset with PROTOCOL_ERROR), and the header
 * object node builds (http2/util toHeaderObject: a repeated field's values joined with ", ", the
 * first value kept for the single-value headers, cookies joined with "; ").
 */
import type { IncomingHttpHeaders } from 'node:http2';

const SINGLE_VALUE = new Set([
  ':status',
  ':method',
  ':authority',
  ':scheme',
  ':path',
  ':protocol',
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);
const PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
// RFC 9110 token characters, lower case only (HTTP/2 field names are lower case).
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

/** Why nghttp2 would refuse these request fields, or undefined. */
export function requestFieldsError(fields: readonly string[]): string | undefined {
  let regular = false;
  const seen = new Set<string>();
  for (let k = 0; k < fields.length; k += 2) {
    const name = fields[k]!;
    const value = fields[k + 1]!;
    if (BAD_VALUE.test(value)) return `bad value of ${name}`;
    if (name.startsWith(':')) {
      if (regular) return 'pseudo-header after a regular header';
      if (!PSEUDO.has(name)) return `unknown pseudo-header ${name}`;
      if (seen.has(name)) return `${name} twice`;
      seen.add(name);
      if (value === '' && name !== ':authority') return `empty ${name}`;
      continue;
    }
    regular = true;
    if (!NAME.test(name)) return `bad header name`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific header ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than trailers';
  }
  if (!seen.has(':method')) return 'no :method';
  const method = fields[fields.indexOf(':method') + 1];
  if (method !== 'CONNECT' && (!seen.has(':scheme') || !seen.has(':path'))) return 'no :scheme or :path';
  return undefined;
}

/** node:http2's header object for the fields. */
export function headerObject(fields: readonly string[]): IncomingHttpHeaders {
  const obj: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let k = 0; k < fields.length; k += 2) {
    const name = fields[k]!;
    const value = fields[k + 1]!;
    const existing = obj[name];
    if (existing === undefined) obj[name] = name === 'set-cookie' ? [value] : value;
    else if (!SINGLE_VALUE.has(name)) {
      if (name === 'cookie') obj[name] = `${existing as string}; ${value}`;
      else if (name === 'set-cookie') (existing as string[]).push(value);
      else obj[name] = `${existing as string}, ${value}`;
    }
  }
  return obj as IncomingHttpHeaders;
}
