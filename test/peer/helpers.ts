/**
 * Test nodes around PeerTransport on 127.0.0.1: records every callback and lets a test wait for
 * a condition, re-checked on each callback (no polling sleeps).
 */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { MessageType, newMessage, type Message } from '../../src/raft/types';
import { PeerTransport, type PeerTransportOptions } from '../../src/server/engine/peer/transport';

export const CLUSTER = 0x1234_5678_9abc_def0n;

export interface TestNode {
  id: bigint;
  t: PeerTransport;
  url: string;
  received: Message[];
  snapshots: Message[];
  unreachable: bigint[];
  snapStatus: Array<{ id: bigint; status: 'finish' | 'failure' }>;
  removedCalls: number;
  events: EventEmitter;
  waitFor(what: string, cond: () => boolean, timeoutMs?: number): Promise<void>;
}

export function testLogger(): pino.Logger {
  return pino({ level: process.env.ETCD_TS_TEST_LOG ?? 'silent' }, pino.destination(2));
}

export async function startNode(
  id: bigint,
  o: Partial<PeerTransportOptions> & { port?: number; listen?: boolean } = {},
): Promise<TestNode> {
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const node: Partial<TestNode> & { received: Message[] } = {
    id,
    received: [],
    snapshots: [],
    unreachable: [],
    snapStatus: [],
    removedCalls: 0,
    events,
  };
  const changed = (): boolean => events.emit('change');
  const t = new PeerTransport({
    memberId: id,
    clusterId: CLUSTER,
    log: testLogger(),
    onMessage: (m) => {
      node.received.push(m);
      changed();
    },
    onSnapshot: (m) => {
      node.snapshots!.push(m);
      changed();
    },
    reportUnreachable: (pid) => {
      node.unreachable!.push(pid);
      changed();
    },
    reportSnapshot: (pid, status) => {
      node.snapStatus!.push({ id: pid, status });
      changed();
    },
    snapshotBlob: () => new Uint8Array(0),
    onPeerStateChange: () => changed(),
    onRemoved: () => {
      node.removedCalls!++;
      changed();
    },
    ...o,
  });
  node.t = t;
  if (o.listen !== false) {
    await t.listen([new URL(`http://127.0.0.1:${o.port ?? 0}`)]);
    node.url = t.boundUrls()[0]!.href.replace(/\/$/, '');
  } else node.url = `http://127.0.0.1:${o.port ?? 1}`;
  node.waitFor = (what, cond, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (cond()) return resolve();
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        events.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        events.off('change', check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      events.on('change', check);
    });
  return node as TestNode;
}

export function connect(nodes: TestNode[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.t.addPeer(b.id, [b.url]);
}

export function app(from: bigint, to: bigint, index: number, bytes = 100): Message {
  return newMessage({
    type: MessageType.MsgApp,
    from,
    to,
    term: 2,
    logTerm: 2,
    index: index - 1,
    commit: index - 1,
    entries: [{ term: 2, index, type: 0, data: new Uint8Array(bytes).fill(index & 0xff) }],
  });
}

export function heartbeat(from: bigint, to: bigint, commit: number): Message {
  return newMessage({ type: MessageType.MsgHeartbeat, from, to, term: 2, commit });
}

/** Resolves on the next event-loop turn (lets queued sends flush). */
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
