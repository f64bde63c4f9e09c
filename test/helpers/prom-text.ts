/**
 * Prometheus text format, parsed into families (HELP, TYPE, label names, series by sorted
 * labels), to compare two servers' /metrics whatever their client library's ordering.
 */
import assert from 'node:assert/strict';

export interface Family {
  help: string;
  type: string;
  labels: Set<string>;
  /** `<suffix>{<sorted labels>}` -> value; suffix is `_bucket`, `_sum`, `_count` or empty. */
  series: Map<string, number>;
}

export function parseMetrics(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const fam = (name: string): Family => {
    let f = out.get(name);
    if (f === undefined) out.set(name, (f = { help: '', type: '', labels: new Set(), series: new Map() }));
    return f;
  };
  for (const line of text.split('\n')) {
    let m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) fam(m[1]!).help = m[2]!;
    else if ((m = /^# TYPE (\S+) (\S+)$/.exec(line))) fam(m[1]!).type = m[2]!;
    else if ((m = /^([a-zA-Z_:][\w:]*?)(_bucket|_sum|_count)?(\{(.*)\})? (\S+)$/.exec(line))) {
      const base = out.has(m[1]!) ? m[1]! : m[1]! + (m[2] ?? '');
      const f = fam(base);
      for (const [, k] of (m[4] ?? '').matchAll(/(\w+)="/g)) if (k !== 'le') f.labels.add(k!);
      // Label order differs between client libraries: sorted here.
      const labels = [...(m[4] ?? '').matchAll(/(\w+="(?:[^"\\]|\\.)*")/g)].map((x) => x[1]!).sort();
      f.series.set(`${m[2] ?? ''}{${labels.join(',')}}`, Number(m[5]));
    }
  }
  return out;
}

/** GETs /metrics from a client URL and parses it. */
export async function scrapeMetrics(clientUrl: string): Promise<Map<string, Family>> {
  const res = await fetch(`${clientUrl}/metrics`);
  return parseMetrics(await res.text());
}

/** The `le` bounds of a histogram family's buckets, whatever its other labels. */
function bucketBounds(f: Family): string[] {
  return [...new Set([...f.series.keys()].flatMap((k) => (k.startsWith('_bucket') ? (/le="([^"]+)"/.exec(k)?.[1] ?? []) : [])))].sort();
}

/**
 * Asserts that etcd-ts's family `name` is etcd's: present in both, same HELP, TYPE, label names
 * and (for a histogram) bucket bounds. Returns etcd-ts's family.
 */
export function assertSameFamily(name: string, etcd: Map<string, Family>, ts: Map<string, Family>): Family {
  const e = etcd.get(name);
  const t = ts.get(name);
  assert.ok(e !== undefined, `etcd has ${name}`);
  assert.ok(t !== undefined, `etcd-ts has ${name}`);
  assert.equal(t.help, e.help, `${name} HELP`);
  assert.equal(t.type, e.type, `${name} TYPE`);
  assert.deepEqual([...t.labels].sort(), [...e.labels].sort(), `${name} labels`);
  if (e.type === 'histogram') assert.deepEqual(bucketBounds(t), bucketBounds(e), `${name} buckets`);
  return t;
}
