/**
 * The leader's late-heartbeat detector (etcd's timeoutDetector): a heartbeat to a follower sent
 * more than twice the heartbeat interval after the previous one to it is counted and logged with
 * etcd's text and fields; per follower; forgotten on a leader change. Fake clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { HeartbeatDetector } from '../../src/server/engine/heartbeat-detector';
import { MessageType, type Message } from '../../src/raft/types';

function hb(to: bigint): Message {
  return { type: MessageType.MsgHeartbeat, to } as Message;
}

test('late heartbeats are counted and logged as etcd logs them', () => {
  let now = 0;
  let late = 0;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  const d = new HeartbeatDetector(
    100,
    log,
    () => late++,
    () => now,
  );
  d.observe([hb(2n), hb(3n)]);
  now = 200; // exactly 2x: on time
  d.observe([hb(2n), hb(3n), { type: MessageType.MsgApp, to: 2n } as Message]);
  assert.equal(late, 0);
  now = 450; // 250 ms after the last: 50 ms over
  d.observe([hb(2n)]);
  assert.equal(late, 1);
  assert.deepEqual(
    { ...lines[0], level: undefined, time: undefined, pid: undefined, hostname: undefined },
    {
      level: undefined,
      time: undefined,
      pid: undefined,
      hostname: undefined,
      to: '2',
      'heartbeat-interval': '100ms',
      'expected-duration': '200ms',
      'exceeded-duration': '50ms',
      msg: 'leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk',
    },
  );
  d.reset();
  now = 10_000;
  d.observe([hb(3n)]);
  assert.equal(late, 1, 'after a leader change the first heartbeat is not late');
});
