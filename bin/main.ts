/**
 * Entry point of `bin/etcd-ts`: the only place that reads process.argv/env and exits.
 * Parses etcd's flags, starts the server, stops it on SIGINT/SIGTERM.
 */
import { ConfigError } from '../src/server/config/config';
import { logLine } from './log-line';
import { readFileSync } from 'node:fs';
import { parseArgs } from './parse-args';

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2), process.env, { readFile: (p) => readFileSync(p, 'utf8') });
  if (parsed.kind === 'exit') {
    if (parsed.stdout !== undefined) process.stdout.write(parsed.stdout);
    if (parsed.stderr !== undefined) process.stderr.write(parsed.stderr);
    process.exitCode = parsed.code;
    return;
  }
  for (const w of parsed.warnings) process.stderr.write(w + '\n');

  let server: { stop(): Promise<void>; done: Promise<void>; failed: Promise<Error>; failure: Error | undefined };
  try {
    // Loaded lazily so that --version/--help and flag errors do not load the server.
    const { startServer } = await import('../src/server/server');
    server = await startServer(parsed.config, { heapPolicy: { execArgv: process.execArgv } });
  } catch (e) {
    // etcd logs every failed start (ports, data dir, peers) as "discovery failed".
    const msg = e instanceof ConfigError ? 'failed to start' : 'discovery failed';
    process.stderr.write(logLine('fatal', msg, { error: e instanceof Error ? e.message : String(e) }) + '\n');
    process.exit(1);
  }

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(logLine('info', 'received signal; shutting down', { signal }) + '\n');
    server.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(logLine('error', 'failed to stop cleanly', { error: e instanceof Error ? e.message : String(e) }) + '\n');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A member removed from its cluster stops by itself and exits 0, as etcd does. A storage or
  // apply failure (already logged with its cause) exits 1, as etcd's fatal log does, so that a
  // supervisor restarts the member; a stop that hangs on the failed storage is cut short.
  void server.failed.then(() => {
    setTimeout(() => process.exit(1), 3000).unref();
  });
  void server.done.then(() => {
    if (server.failure) process.exit(1);
    if (!stopping) process.exit(0);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(logLine('fatal', 'etcd-ts crashed', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) }) + '\n');
  process.exit(1);
});
