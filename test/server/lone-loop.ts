/**
 * A lone voter's Ready loop over a test database and a {@link FakeStateMachine}, elected, for the
 * Ready-loop tests; `turns` lets it run its Readys (setImmediate-driven).
 */
import assert from 'node:assert/strict';
import pino, { type Logger } from 'pino';
import { MemoryStorage, RawNode } from '../../src/raft';
import { RaftLoop } from '../../src/server/engine/raft-loop';
import { NO_STATS } from '../../src/server/engine/stats';
import type { Db } from '../../src/server/engine/storage/member-db';
import { FakeStateMachine } from './fake-state-machine';

/** Lets the loop run its Readys (setImmediate-driven; the fake db resolves at once). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

export interface TestLoopOptions {
  /** The bootstrap voters; this loop is member 1 (default: 1 alone). */
  voters?: bigint[];
  snapshotCount?: number;
  snapshotCatchupEntries?: number;
  log?: Logger;
}

/** A Ready loop over `db` with a fake state machine, bootstrapped, not started (no ticks). */
export function testLoop(db: unknown, o: TestLoopOptions = {}): { loop: RaftLoop; node: RawNode; sm: FakeStateMachine } {
  const storage = new MemoryStorage();
  const node = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: () => 0 });
  node.bootstrap(o.voters ?? [1n]);
  const sm = new FakeStateMachine(node);
  let n = 0n;
  const loop = new RaftLoop({
    stats: NO_STATS,
    node,
    storage,
    db: db as Db,
    stateMachine: sm,
    log: o.log ?? pino({ level: 'silent' }),
    fsync: true,
    heartbeatMs: 100_000,
    electionMs: 1_000_000,
    snapshotCount: o.snapshotCount ?? 10_000,
    snapshotCatchupEntries: o.snapshotCatchupEntries ?? 5,
    appliedIndex: 0,
    confState: { voters: [], learners: [] },
    logRuns: [],
    snapshotIndex: 0,
    requestId: () => ++n,
  });
  sm.loop = loop;
  return { loop, node, sm };
}

/** A lone voter's Ready loop over `db` with a fake state machine, elected. */
export async function loneLoop(db: unknown, snapshotCount: number): Promise<{ loop: RaftLoop; sm: FakeStateMachine }> {
  const { loop, sm } = testLoop(db, { snapshotCount, snapshotCatchupEntries: 2 });
  loop.campaignIfSoleVoter();
  await turns(20);
  assert.ok(loop.isLeader, 'the lone voter leads');
  return { loop, sm };
}
