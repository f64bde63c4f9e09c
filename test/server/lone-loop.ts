/**
 * A lone voter's Ready loop over a test database and a {@link FakeStateMachine}, elected, for the
 * Ready-loop tests; `turns` lets it run its Readys (setImmediate-driven).
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryStorage, RawNode } from '../../src/raft';
import { RaftLoop } from '../../src/server/engine/raft-loop';
import { NO_STATS } from '../../src/server/engine/stats';
import type { Db } from '../../src/server/engine/storage/member-db';
import { FakeStateMachine } from './fake-state-machine';

/** Lets the loop run its Readys (setImmediate-driven; the fake db resolves at once). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A lone voter's Ready loop over `db` with a fake state machine, elected. */
export async function loneLoop(db: unknown, snapshotCount: number): Promise<{ loop: RaftLoop; sm: FakeStateMachine }> {
  const storage = new MemoryStorage();
  const node = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: () => 0 });
  node.bootstrap([1n]);
  const sm = new FakeStateMachine(node);
  const loop = new RaftLoop({
    stats: NO_STATS,
    node,
    storage,
    db: db as Db,
    stateMachine: sm,
    log: pino({ level: 'silent' }),
    fsync: true,
    heartbeatMs: 100_000,
    electionMs: 1_000_000,
    snapshotCount,
    snapshotCatchupEntries: 2,
    appliedIndex: 0,
    confState: { voters: [], learners: [] },
    logRuns: [],
    snapshotIndex: 0,
    requestId: (() => {
      let n = 0n;
      return () => ++n;
    })(),
  });
  sm.loop = loop;
  loop.campaignIfSoleVoter();
  await turns(20);
  assert.ok(loop.isLeader, 'the lone voter leads');
  return { loop, sm };
}
