/**
 * Prometheus text format, parsed into families (HELP, TYPE, label names, series by sorted
 * labels), to compare two servers' /metrics whatever their client library's ordering.
 */

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
