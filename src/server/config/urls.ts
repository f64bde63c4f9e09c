/**
 * etcd's URL rules for flags (`client/pkg/types/urls.go`, `urlsmap.go`, `pkg/flags/unique_urls.go`),
 * written for Node. URLs are kept as etcd prints them (no trailing slash), sorted and de-duplicated
 * like etcd's `UniqueURLs`.
 */
import { ConfigError } from './error';

export interface InitialClusterMember {
  name: string;
  peerUrls: string[];
}

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** Go's net.SplitHostPort, reduced to the error texts etcd users see. Returns [host, port]. */
export function splitHostPort(hostport: string): [string, string] {
  // Go's AddrError leaves out `address <addr>: ` when the address is empty.
  const missingPort = hostport === '' ? 'missing port in address' : `address ${hostport}: missing port in address`;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) throw new ConfigError(`address ${hostport}: missing ']' in address`);
    const rest = hostport.slice(end + 1);
    if (rest === '') throw new ConfigError(missingPort);
    if (!rest.startsWith(':')) throw new ConfigError(`address ${hostport}: missing port in address`);
    if (rest.indexOf(':', 1) >= 0) throw new ConfigError(`address ${hostport}: too many colons in address`);
    return [hostport.slice(1, end), rest.slice(1)];
  }
  const i = hostport.lastIndexOf(':');
  if (i < 0) throw new ConfigError(missingPort);
  const host = hostport.slice(0, i);
  if (host.includes(':')) throw new ConfigError(`address ${hostport}: too many colons in address`);
  return [host, hostport.slice(i + 1)];
}

/** The authority (`host:port`, without user info) of a `scheme://authority...` string. */
function authorityOf(raw: string): { authority: string; rest: string } {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/s.exec(raw);
  if (m === null) return { authority: '', rest: raw };
  const full = m[1] ?? '';
  const at = full.lastIndexOf('@');
  return { authority: at >= 0 ? full.slice(at + 1) : full, rest: m[2] ?? '' };
}

/** Validates one URL as etcd's types.NewURLs does and returns its canonical string. */
export function parseEtcdUrl(input: string): string {
  const raw = input.trim();
  const sm = SCHEME_RE.exec(raw);
  if (sm === null) {
    throw new ConfigError(`parse "${raw}": missing protocol scheme`);
  }
  const scheme = (sm[1] ?? '').toLowerCase();
  const canonical = scheme + raw.slice(scheme.length);
  switch (scheme) {
    case 'http':
    case 'https': {
      try {
        new URL(canonical);
      } catch {
        throw new ConfigError(`parse "${raw}": invalid URL`);
      }
      const { authority, rest } = authorityOf(canonical);
      try {
        splitHostPort(authority);
      } catch {
        throw new ConfigError(`URL address does not have the form "host:port": ${raw}`);
      }
      if (rest.startsWith('/')) throw new ConfigError(`URL must not contain a path: ${raw}`);
      return canonical;
    }
    case 'unix':
    case 'unixs': {
      try {
        new URL(canonical);
      } catch {
        throw new ConfigError(`parse "${raw}": invalid URL`);
      }
      // Go's url.Parse unescapes the host and the path (what a unix listener binds) and refuses a bad escape.
      const bad = /%(?![0-9A-Fa-f]{2}).{0,2}/s.exec(canonical.split('#')[0]!.split('?')[0]!);
      if (bad !== null) throw new ConfigError(`parse "${raw}": invalid URL escape "${bad[0]}"`);
      return canonical;
    }
    default:
      throw new ConfigError(`URL scheme must be http, https, unix, or unixs: ${raw}`);
  }
}

/** A comma-separated URL list (etcd's UniqueURLs.Set): validated, sorted, de-duplicated. */
export function parseUrlList(s: string): string[] {
  const all = s.split(',').map(parseEtcdUrl);
  return [...new Set(all)].sort();
}

/**
 * The strings the URLs of toNodeUrls were made from: Node's URL normalises what Go's url.URL
 * keeps (a port's leading zeros, `.`/`..` path segments), and a unix socket path is taken from
 * the URL as given.
 */
const givenUrls = new WeakMap<URL, string>();

/** Node URL objects for listeners. */
export function toNodeUrls(urls: string[]): URL[] {
  return urls.map((s) => {
    const u = new URL(s);
    givenUrls.set(u, s);
    return u;
  });
}

/** A `unix://` or `unixs://` URL (a unix domain socket; unixs with TLS). */
export function isUnixScheme(protocol: string): boolean {
  return protocol === 'unix:' || protocol === 'unixs:';
}

/** Go's url.PathUnescape: %XX to its byte (the input was checked by parseEtcdUrl). */
function goUnescape(s: string): string {
  if (!s.includes('%')) return s;
  return Buffer.from(
    s.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

/**
 * The socket path of a unix/unixs listen URL as etcd 3.6 derives it (embed/etcd.go resolveURL:
 * `u.Host + u.Path`, both unescaped by Go's url.Parse): `unix://localhost:2379` is the file
 * `localhost:2379` in the working directory, `unix:///run/etcd.sock` the file `/run/etcd.sock`,
 * `unix://a/b.sock` the file `a/b.sock`. `hostOnly`: the metrics listener
 * (embed/etcd.go createMetricsListener) takes `u.Host` alone.
 */
export function unixSocketPath(u: URL, hostOnly = false): string {
  // Go's url.Parse: the fragment, then the query cut off; `scheme:rest`; no `/` after the scheme
  // is an opaque URL (no host, no path); `//authority` up to the next `/`, user info dropped.
  let s = givenUrls.get(u) ?? u.href;
  s = s.split('#')[0]!.split('?')[0]!;
  let rest = s.slice(s.indexOf(':') + 1);
  if (!rest.startsWith('/')) return '';
  let host = '';
  if (rest.startsWith('//')) {
    const authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash < 0 ? '' : authority.slice(slash);
    const hostPort = slash < 0 ? authority : authority.slice(0, slash);
    host = hostPort.slice(hostPort.lastIndexOf('@') + 1);
  }
  return goUnescape(host) + (hostOnly ? '' : goUnescape(rest));
}

/** The URL string etcd would print for a Node URL (Node adds a '/' path; etcd does not). */
export function urlToEtcdString(u: URL): string {
  const s = u.toString();
  if ((u.protocol === 'http:' || u.protocol === 'https:') && u.pathname === '/' && u.search === '' && u.hash === '') {
    return s.endsWith('/') ? s.slice(0, -1) : s;
  }
  return s;
}

/** The TCP port of an http(s) URL, with Node's dropped default ports put back. */
export function urlPort(u: URL): number {
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}

/** The host of a URL without IPv6 brackets (what `net.listen({host})` wants). */
export function urlHost(u: URL): string {
  const h = u.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * `--initial-cluster` (`name=url,name=url2,other=url3`), as etcd's types.NewURLsMap: entries
 * are grouped by name (first-appearance order here), each name's URLs validated and sorted.
 */
export function parseInitialCluster(s: string): InitialClusterMember[] {
  const byName = new Map<string, string[]>();
  for (const entry of s.split(',')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = eq >= 0 ? entry.slice(0, eq) : entry;
    const value = eq >= 0 ? entry.slice(eq + 1) : '';
    const list = byName.get(name) ?? [];
    list.push(value);
    byName.set(name, list);
  }
  return [...byName].map(([name, urls]) => ({ name, peerUrls: urls.map(parseEtcdUrl).sort() }));
}

/** etcd's URLsMap.String(): `name=url` pairs, sorted. */
export function formatInitialCluster(members: InitialClusterMember[]): string {
  const pairs: string[] = [];
  for (const m of members) for (const u of m.peerUrls) pairs.push(`${m.name}=${u}`);
  return pairs.sort().join(',');
}
