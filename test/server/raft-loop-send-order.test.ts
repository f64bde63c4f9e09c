/**
 * When the Ready loop sends a Ready's messages relative to writing its batch: a leader sends
 * them while the batch is being written (etcd's Raft loop, Raft thesis 10.2.1), so followers
 * write in parallel with it; a Ready that changes the term or the vote (a campaign) is written
 * first, its messages (MsgVote) sent only once the batch has landed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, newMessage, type Message, type RawNode } from '../../src/raft';
import type { RaftLoop } from '../../src/server/engine/raft-loop';
import { testLoop, turns } from './lone-loop';

/** A database whose batches land only when the test says so; every step goes to `events`. */
class GatedDb {
  readonly events: string[] = [];
  private readonly pending: (() => void)[] = [];
  batch(): Promise<void> {
    this.events.push('write');
    return new Promise((resolve) => this.pending.push(resolve));
  }
  get waiting(): number {
    return this.pending.length;
  }
  /** Lands every batch issued so far. */
  land(): void {
    for (const r of this.pending.splice(0)) {
      this.events.push('landed');
      r();
    }
  }
}

function setup(): { loop: RaftLoop; node: RawNode; db: GatedDb; sent: Message[] } {
  const db = new GatedDb();
  const { loop, node } = testLoop(db, { voters: [1n, 2n, 3n] });
  const sent: Message[] = [];
  loop.sendMessages = (msgs) => {
    for (const m of msgs) {
      sent.push(m);
      db.events.push(`send ${MessageType[m.type]} to ${m.to}`);
    }
  };
  return { loop, node, db, sent };
}

/** Runs the loop until it waits for a batch (or is idle), landing nothing. */
async function untilWriting(db: GatedDb): Promise<void> {
  await turns(10);
  assert.ok(db.waiting > 0, 'the loop is waiting for a batch');
}

test('a candidate sends MsgVote after its batch (term and vote) lands; the leader sends MsgApp while its batch is written', async () => {
  const { loop, node, db, sent } = setup();
  // The bootstrap Ready (conf changes at term 1) first.
  loop.schedule();
  await untilWriting(db);
  db.land();
  await turns(10);
  db.events.length = 0;

  node.campaign();
  loop.schedule();
  await untilWriting(db);
  assert.deepEqual(db.events, ['write'], 'no MsgVote before the new term and vote are durable');
  db.land();
  await turns(10);
  assert.deepEqual(db.events, ['write', 'landed', 'send MsgVote to 2', 'send MsgVote to 3']);
  const term = sent[0]!.term;

  db.events.length = 0;
  loop.step(newMessage({ type: MessageType.MsgVoteResp, from: 2n, to: 1n, term }));
  await untilWriting(db);
  // The Ready that makes it leader: its empty entry is being written, and the followers already
  // have it.
  assert.deepEqual(db.events, ['send MsgApp to 2', 'send MsgApp to 3', 'write']);
  db.land();
  await turns(10);
  assert.ok(loop.isLeader);

  // Both followers take the leader's empty entry (index 4): their progress leaves the probe state.
  for (const from of [2n, 3n]) loop.step(newMessage({ type: MessageType.MsgAppResp, from, to: 1n, term, index: 4 }));
  await turns(10);
  db.land();
  await turns(10);

  // A proposal: the same order, the batch still unwritten when the followers get the entry.
  db.events.length = 0;
  loop.propose(Buffer.from('x'));
  await untilWriting(db);
  assert.deepEqual(db.events, ['send MsgApp to 2', 'send MsgApp to 3', 'write']);
  const app = sent.at(-1)!;
  assert.equal(app.entries.length, 1);
  assert.deepEqual(Buffer.from(app.entries[0]!.data).toString(), 'x');
  db.land();
  await turns(10);
});

test('a follower answers an append only after its batch lands', async () => {
  const { loop, db } = setup();
  loop.schedule();
  await untilWriting(db);
  db.land();
  await turns(10);
  db.events.length = 0;
  // A leader (member 2) at term 2 appends an entry after the bootstrap entries.
  loop.step(
    newMessage({
      type: MessageType.MsgApp,
      from: 2n,
      to: 1n,
      term: 2,
      logTerm: 1,
      index: 3,
      commit: 3,
      entries: [{ term: 2, index: 4, type: 0, data: Buffer.from('y') }],
    }),
  );
  await untilWriting(db);
  assert.deepEqual(db.events, ['write']);
  db.land();
  await turns(10);
  assert.deepEqual(db.events, ['write', 'landed', 'send MsgAppResp to 2']);
});
