/**
 * Fault injection for tests, in the spirit of etcd's gofail failpoints: a named point in the
 * code that does nothing unless the process was started with `ETCDTS_FAILPOINTS` naming it.
 *
 *   ETCDTS_FAILPOINTS="applyEntry=error@40"   the 40th hit of `applyEntry` throws an Error
 *
 * Several points are separated by `;`. The variable is read once, when this module loads; with
 * it unset every point is one Map lookup on an empty map. Only tests set it.
 */

interface Armed {
  /** The hit (1-based) at which the point fires. */
  at: number;
  hits: number;
}

function parse(spec: string | undefined): Map<string, Armed> {
  const points = new Map<string, Armed>();
  if (spec === undefined || spec.trim() === '') return points;
  for (const part of spec.split(';')) {
    const m = /^\s*(\w+)\s*=\s*error@(\d+)\s*$/.exec(part);
    if (m === null) throw new Error(`ETCDTS_FAILPOINTS: cannot parse ${JSON.stringify(part)} (expected name=error@N)`);
    points.set(m[1]!, { at: Number(m[2]), hits: 0 });
  }
  return points;
}

const armed = parse(process.env.ETCDTS_FAILPOINTS);

/** A failpoint: throws the injected error on its armed hit, else does nothing. */
export function failpoint(name: string): void {
  if (armed.size === 0) return;
  const p = armed.get(name);
  if (p === undefined) return;
  p.hits++;
  if (p.hits === p.at) throw new Error(`failpoint ${name}: injected error at hit ${p.hits}`);
}
