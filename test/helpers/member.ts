/**
 * Starts an etcd-ts member in-process on free loopback ports with a temporary data dir (unless
 * one is given), the way tests and embedders use the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig, type Config } from '../../src/server/config/config';
import { startServer, type EtcdServer } from '../../src/server/server';
import type { RunningMember } from './running-member';
import { freePort } from './ports';

export interface TestMember extends RunningMember {
  server: EtcdServer;
}

/** `logTo`: receives the member's log lines at info level and above (else ETCD_TS_TEST_LOG decides). */
export async function startMember(
  overrides: Partial<Config> = {},
  opts: { keepDataDir?: boolean; logTo?: (line: string) => void } = {},
): Promise<TestMember> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'etcd-ts-'));
  const name = overrides.name ?? 'default';
  const port = await freePort();
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const config = defaultConfig({
    name,
    dataDir,
    listenClientUrls: [new URL(`http://127.0.0.1:${port}`)],
    advertiseClientUrls: [`http://127.0.0.1:${port}`],
    listenPeerUrls: [new URL(peerUrl)],
    initialAdvertisePeerUrls: [peerUrl],
    initialCluster: [{ name, peerUrls: [peerUrl] }],
    logLevel: 'error',
    ...overrides,
  });
  const level = process.env.ETCD_TS_TEST_LOG ?? 'silent';
  const logTo = opts.logTo;
  const logger =
    logTo === undefined ? pino({ level }, pino.destination(2)) : pino({ level: 'info' }, { write: (line: string) => logTo(line) });
  const server = await startServer(config, { logger });
  const clientUrl = server.clientUrls[0]!;
  let stopped = false;
  return {
    name,
    clientUrl,
    endpoint: clientUrl.replace(/^http:\/\//, ''),
    dataDir,
    server,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (!opts.keepDataDir && overrides.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
