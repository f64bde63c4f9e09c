/**
 * Entry point of `bin/etcdutl-ts` (etcd's offline tool, `etcdutl` 3.6): `version`,
 * `snapshot status FILE [-w simple|json|table]`, `snapshot restore FILE [flags]` and
 * `hashkv FILE [--rev N]` over etcd 3.6 snapshot files, and `defrag --data-dir D` of an etcd-ts
 * data dir (from `etcdctl snapshot save` against etcd or etcd-ts). Parses the
 * arguments, calls src/, prints as etcdutl prints, exits with its codes (1 for errors, 128 for
 * bad arguments).
 */
import { readFileSync } from 'node:fs';
import { logLine } from './log-line';
import { ETCD_VERSION } from '../src/version';

const EXIT_ERROR = 1;
const EXIT_BAD_ARGS = 128;

class UsageError extends Error {}

interface Parsed {
  args: string[];
  flags: Map<string, string>;
}

const BOOL_FLAGS = new Set(['skip-hash-check', 'mark-compacted']);

function parse(argv: string[]): Parsed {
  const args: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === 'w') name = 'write-out';
    if (eq >= 0) flags.set(name, body.slice(eq + 1));
    else if (BOOL_FLAGS.has(name)) flags.set(name, 'true');
    else {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: ${a}`);
      flags.set(name, v);
    }
  }
  return { args, flags };
}

/** bbolt's texts for a file it cannot open (etcdutl prints them as they are). */
function boltText(e: unknown, size: number): string | undefined {
  const code = (e as { code?: string }).code;
  if (size < 2 * 4096 && (code === 'NotBolt' || code === 'Truncated')) return `file size too small ${size}`;
  if (code === 'NotBolt') return 'invalid database';
  if (code === 'Checksum') return 'checksum error';
  if (code === 'Version') return 'version mismatch';
  return undefined;
}

function fail(code: number, msg: string): never {
  process.stderr.write(`Error: ${msg}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let p: Parsed;
  try {
    p = parse(process.argv.slice(2));
  } catch (e) {
    fail(EXIT_BAD_ARGS, (e as Error).message);
  }
  const [cmd, sub, ...rest] = p.args;
  const flag = (n: string, d: string): string => p.flags.get(n) ?? d;
  if (cmd === 'version') {
    process.stdout.write(`etcdutl version: ${ETCD_VERSION}\nAPI version: 3.6\n`);
    return;
  }
  if (cmd === 'snapshot' && sub === 'status') {
    if (rest.length !== 1) fail(EXIT_BAD_ARGS, 'snapshot status requires exactly one argument');
    const { readBolt, readBoltInfo } = await import('../src/bbolt');
    const { snapshotStatus, formatStatus } = await import('../src/server/engine/snapshot/snapshot-status');
    let size = 0;
    try {
      const file = readFileSync(rest[0]!);
      size = file.length;
      const info = readBoltInfo(file);
      const s = snapshotStatus(readBolt(file), info.pgid * info.pageSize);
      process.stdout.write(formatStatus(s, flag('write-out', 'simple')));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      fail(EXIT_ERROR, err.code === 'ENOENT' ? `stat ${rest[0]}: no such file or directory` : (boltText(e, size) ?? err.message));
    }
    return;
  }
  if (cmd === 'snapshot' && sub === 'restore') {
    if (rest.length !== 1) fail(EXIT_BAD_ARGS, 'snapshot restore requires exactly one argument');
    const bump = Number(flag('bump-revision', '0'));
    const mark = flag('mark-compacted', 'false') === 'true';
    if ((bump === 0 && mark) || (bump > 0 && !mark)) fail(EXIT_BAD_ARGS, '--mark-compacted required if --revision-bump > 0');
    const name = flag('name', 'default');
    const peer = flag('initial-advertise-peer-urls', 'http://localhost:2380');
    const { parseInitialCluster } = await import('../src/server/config/urls');
    const { restoreSnapshot } = await import('../src/server/engine/storage/restore');
    const dataDir = flag('data-dir', `${name}.etcd`);
    try {
      const r = await restoreSnapshot({
        snapshotPath: rest[0]!,
        dataDir,
        name,
        initialCluster: parseInitialCluster(flag('initial-cluster', `${name}=${peer}`)),
        token: flag('initial-cluster-token', 'etcd-cluster'),
        peerUrls: peer.split(','),
        skipHashCheck: flag('skip-hash-check', 'false') === 'true',
        bumpRevision: bump,
        markCompacted: mark,
      });
      process.stderr.write(
        logLine('info', 'restored snapshot', {
          path: rest[0]!,
          'data-dir': dataDir,
          'member-id': r.memberId.toString(16),
          'cluster-id': r.clusterId.toString(16),
          revision: r.revision,
        }) + '\n',
      );
    } catch (e) {
      fail(EXIT_ERROR, (e as Error).message);
    }
    return;
  }
  if (cmd === 'hashkv') {
    const file = sub;
    if (file === undefined || rest.length > 0) fail(EXIT_BAD_ARGS, `accepts 1 arg(s), received ${p.args.length - 1}`);
    const { readBolt } = await import('../src/bbolt');
    const { fileHashKV, formatHashKV } = await import('../src/server/engine/snapshot/snapshot-status');
    const { wireMessage } = await import('../src/server/wire/error-table');
    const { isEtcdError } = await import('../src/errors');
    try {
      process.stdout.write(formatHashKV(fileHashKV(readBolt(readFileSync(file)), Number(flag('rev', '0'))), flag('write-out', 'simple')));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (isEtcdError(err)) fail(EXIT_ERROR, wireMessage(err.kind).replace(/^etcdserver: /, ''));
      fail(EXIT_ERROR, err.code === 'ENOENT' ? `stat ${file}: no such file or directory` : err.message);
    }
    return;
  }
  if (cmd === 'defrag') {
    const dataDir = flag('data-dir', '');
    const { defragDataDir } = await import('../src/server/engine/storage/offline-defrag');
    try {
      await defragDataDir(dataDir);
    } catch (e) {
      fail(EXIT_ERROR, `Failed to defragment etcd data[${dataDir}] (${(e as Error).message})`);
    }
    return;
  }
  fail(EXIT_BAD_ARGS, `unknown command ${JSON.stringify(p.args.join(' '))} for "etcdutl"`);
}

void main();
