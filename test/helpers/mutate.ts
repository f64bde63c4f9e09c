/**
 * Damages a valid encoding for the fuzz tests: 1 to `maxEdits` random byte changes, insertions or
 * deletions (the same sequence of draws from `rnd` for the same arguments, so seeds replay).
 */
export function editEncoding(rnd: () => number, encoding: Buffer, maxEdits: number): Buffer {
  let p = Buffer.from(encoding);
  const n = 1 + Math.floor(rnd() * maxEdits);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (p.length + 1));
    const r = rnd();
    if (r < 0.5 && p.length > 0) p[Math.min(at, p.length - 1)] = Math.floor(rnd() * 256);
    else if (r < 0.75) p = Buffer.concat([p.subarray(0, at), Buffer.from([Math.floor(rnd() * 256)]), p.subarray(at)]);
    else p = Buffer.concat([p.subarray(0, at), p.subarray(at + 1)]);
  }
  return p;
}
