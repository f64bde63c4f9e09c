/**
 * TEST-ONLY, TEMPORARY: starts an in-process etcd-ts member and applies, from outside, exactly
 * the lease wiring proposed for src/server/member.ts, applier.ts and server.ts (see the lease
 * report), plus the Lock and Election services, so the Go clientv3 lease and lock tests can run
 * against etcd-ts before that wiring lands.
 * When the member already has a `lessor` (wired for real), nothing is patched.
 *
 * It reaches into private fields (MvccStore hooks, Applier deps/dispatch, the server's grpc
 * server); delete this file once the member is wired.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import type { Config } from '../../src/server/config';
import { serviceDefinition } from '../../src/server/grpc/protos';
import { applyLeaseEntry, attachAllKeys, LeaseExpiryDriver, leaseService, openLessor, type LeaseHost } from '../../src/server/lease';
import type { RequestKind } from '../../src/server/request-codec';
import { electionService, lockService } from '../../src/server/lock';
import type { Event } from '../../src/mvcc';
import { startMember, type TestMember } from '../helpers/member';
import { goTestFailures, repoRoot, runGoTest } from '../helpers/tools';

type Dispatch = (kind: RequestKind, payload: Buffer, decoded: unknown) => unknown;

export async function startLeaseMember(overrides: Partial<Config> = {}): Promise<TestMember & { patched: boolean }> {
  const m = await startMember(overrides);
  const member = m.server.etcdMember;
  if ((member as { lessor?: unknown }).lessor !== undefined) return { ...m, patched: false };

  const log = pino({ level: process.env.ETCD_TS_TEST_LOG ?? 'silent' }, pino.destination(2));
  const lessor = openLessor(m.server.config, member.engine);
  const hooks = (member.mvcc as unknown as { hooks: { leaseExists?: (id: bigint) => boolean } }).hooks;
  hooks.leaseExists = (id) => lessor.has(id);
  attachAllKeys(lessor, member.mvcc);
  Object.defineProperty(member, 'lessor', { value: lessor });

  const applier = member.applier as unknown as { d: { onEvents?: (e: Event[]) => void }; dispatch: Dispatch };
  const prevOnEvents = applier.d.onEvents;
  applier.d.onEvents = (evs) => {
    lessor.onEvents(evs);
    prevOnEvents?.(evs);
  };
  const dispatch = applier.dispatch.bind(applier);
  applier.dispatch = (kind, payload, decoded) => {
    const r = applyLeaseEntry({ lessor, mvcc: member.mvcc }, kind, payload, decoded);
    if (r === undefined) return dispatch(kind, payload, decoded);
    if (r.events.length > 0) applier.d.onEvents?.(r.events);
    return r;
  };

  const host = member as unknown as LeaseHost;
  const grpc = (m.server as unknown as { grpc: import('@grpc/grpc-js').Server }).grpc;
  grpc.addService(serviceDefinition('etcdserverpb.Lease'), leaseService(host, log));
  grpc.addService(serviceDefinition('v3lockpb.Lock'), lockService(member, log));
  grpc.addService(serviceDefinition('v3electionpb.Election'), electionService(member, log));
  const driver = new LeaseExpiryDriver(host, log);
  driver.start();
  const stop = m.stop.bind(m);
  return {
    ...m,
    patched: true,
    async stop() {
      driver.stop();
      await stop();
    },
  };
}

/**
 * Registers a test (with its before/after hooks) that runs the Go test binary .tools/bin/<binary>
 * against a member started by startLeaseMember; skipped until test/tools/install.sh has built it.
 */
export function goTestAgainstLeaseMember(binary: string, title: string): void {
  const bin = path.join(repoRoot(), '.tools', 'bin', binary);
  let member: TestMember | undefined;

  before(async () => {
    if (fs.existsSync(bin)) member = await startLeaseMember();
  });

  after(async () => {
    await member?.stop();
  });

  test(title, { skip: fs.existsSync(bin) ? false : 'run test/tools/install.sh first' }, async () => {
    const r = await runGoTest(bin, member!.endpoint, [], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `${binary} failed:\n${goTestFailures(r.output)}`);
    assert.match(r.output, /^PASS$/m);
  });
}
