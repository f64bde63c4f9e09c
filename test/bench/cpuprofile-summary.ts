/**
 * Summarizes V8 .cpuprofile files (from `node --cpu-prof`): self time aggregated by function
 * name + url:line, and a second table aggregated by url (file) alone, largest first, with the
 * share of all sampled time (idle included) and of busy time (idle, program and GC shown apart).
 *
 * Usage: node dist/test/bench/cpuprofile-summary.js [--top 40] [--inclusive] file.cpuprofile...
 *   --inclusive  also print inclusive ("total") time per function (self + callees, counted once
 *                per sample even for recursion)
 *   --window A:B only samples taken between A and B seconds after the profile started (e.g.
 *                2:60 to leave out startup and the check's final cleanup DeleteRange)
 *   --timeline   print busy / GC / LevelDB-batch milliseconds per second of the profile
 *   --callers S  for the functions whose label contains S, print their self time split by call
 *                path (up to 4 frames up), largest first
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 1);
  const cwd = process.cwd() + '/';
  if (u.startsWith(cwd)) u = u.slice(cwd.length);
  return u;
}

function main(): void {
  const argv = process.argv.slice(2);
  let top = 40;
  let inclusive = false;
  let callers = '';
  let winFrom = 0;
  let winTo = Infinity;
  let timeline = false;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--top') top = Number.parseInt(argv[++i] ?? '40', 10);
    else if (a === '--inclusive') inclusive = true;
    else if (a === '--callers') callers = argv[++i] ?? '';
    else if (a === '--timeline') timeline = true;
    else if (a === '--window') {
      const [x, y] = (argv[++i] ?? '').split(':');
      winFrom = Number(x ?? 0) || 0;
      winTo = y === undefined || y === '' ? Infinity : Number(y);
    } else files.push(a);
  }
  if (files.length === 0) {
    process.stderr.write('usage: cpuprofile-summary [--top N] [--inclusive] file.cpuprofile...\n');
    process.exit(2);
  }

  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const incl = new Map<string, number>();
  const paths = new Map<string, number>();
  const perSecond = new Map<string, { busy: number; gc: number; batch: number }>();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(fs.readFileSync(f, 'utf8')) as Profile;
    const nodes = new Map<number, ProfileNode>();
    const parent = new Map<number, number>();
    for (const n of p.nodes) {
      nodes.set(n.id, n);
      for (const c of n.children ?? []) parent.set(c, n.id);
    }
    const label = (n: ProfileNode): string => {
      const cf = n.callFrame;
      const name = cf.functionName === '' ? '(anonymous)' : cf.functionName;
      const url = shortUrl(cf.url);
      return url === '' ? name : `${name} ${url}:${cf.lineNumber + 1}`;
    };
    let at = 0; // microseconds since the profile started
    for (let i = 0; i < p.samples.length; i++) {
      at += p.timeDeltas[i] ?? 0;
      if (at / 1e6 < winFrom || at / 1e6 >= winTo) continue;
      // timeDeltas[i] is the time before sample i; attribute the following delta to sample i,
      // the usual convention (DevTools does the same, approximately).
      const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // ms
      const n = nodes.get(p.samples[i] ?? -1);
      if (n === undefined) continue;
      total += dt;
      const l = label(n);
      if (timeline) {
        const key = `${path.basename(f)} ${Math.floor(at / 1e6)}`;
        const r = perSecond.get(key) ?? { busy: 0, gc: 0, batch: 0 };
        const fn = n.callFrame.functionName;
        if (fn !== '(idle)') r.busy += dt;
        if (fn === '(garbage collector)') r.gc += dt;
        if (n.callFrame.url.includes('-level/')) r.batch += dt;
        perSecond.set(key, r);
      }
      self.set(l, (self.get(l) ?? 0) + dt);
      const fileKey = shortUrl(n.callFrame.url) || `(${n.callFrame.functionName || 'native'})`;
      byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + dt);
      if (callers !== '' && l.includes(callers)) {
        const chain: string[] = [l];
        let cur = nodes.get(parent.get(n.id) ?? -1);
        for (let d = 0; d < 4 && cur !== undefined; d++, cur = nodes.get(parent.get(cur.id) ?? -1)) chain.push(label(cur));
        const key = chain.join('\n           <- ');
        paths.set(key, (paths.get(key) ?? 0) + dt);
      }
      if (inclusive) {
        const seen = new Set<string>();
        for (let cur: ProfileNode | undefined = n; cur !== undefined; cur = nodes.get(parent.get(cur.id) ?? -1)) {
          const cl = label(cur);
          if (seen.has(cl)) continue;
          seen.add(cl);
          incl.set(cl, (incl.get(cl) ?? 0) + dt);
        }
      }
    }
  }
  const idle = self.get('(idle)') ?? 0;
  const busy = total - idle;
  const pct = (x: number, of: number): string => (of > 0 ? ((100 * x) / of).toFixed(1).padStart(5) : '  n/a');
  const ms = (x: number): string => x.toFixed(0).padStart(8);
  process.stdout.write(
    `profiles: ${files.map((f) => path.basename(f)).join(', ')}\n` +
      `sampled ${(total / 1000).toFixed(2)} s, idle ${(idle / 1000).toFixed(2)} s, busy ${(busy / 1000).toFixed(2)} s` +
      ` (program ${((self.get('(program)') ?? 0) / 1000).toFixed(2)} s, GC ${((self.get('(garbage collector)') ?? 0) / 1000).toFixed(2)} s)\n\n`,
  );
  const table = (title: string, m: Map<string, number>): void => {
    process.stdout.write(`${title}\n${'ms'.padStart(8)} ${'%busy'.padStart(5)}  function\n`);
    const rows = [...m.entries()]
      .filter(([k]) => k !== '(idle)' && k !== '((idle))')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    for (const [k, v] of rows) process.stdout.write(`${ms(v)} ${pct(v, busy)}  ${k}\n`);
    process.stdout.write('\n');
  };
  table(`== top ${top} by self time`, self);
  table(`== self time by file`, byFile);
  if (inclusive) table(`== top ${top} by inclusive time`, incl);
  if (timeline) {
    process.stdout.write(`== per second: busy ms, GC ms, ms in *-level/ (LevelDB) code\n`);
    for (const [k, r] of perSecond) process.stdout.write(`${k} ${r.busy.toFixed(0)} ${r.gc.toFixed(0)} ${r.batch.toFixed(0)}\n`);
    process.stdout.write('\n');
  }
  if (callers !== '') table(`== call paths of functions matching "${callers}" (self time)`, paths);
}

// `... | head` closes the pipe early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
main();
