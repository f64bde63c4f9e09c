/**
 * A state machine for driving the Ready loop in tests: a normal entry writes one key
 * (`effect/<index>` = its data); conf changes go to the node. An entry whose data starts `many:<n>`
 * also writes n keys `effect/<index>/<j>` (a DeleteRange of many keys, as the loop sees it).
 * `failAt` makes the entry at that index fail as an unexpected apply error would (after writing
 * its partial effect).
 */
import { EntryType, decodeConfChange, type Entry, type RawNode } from '../../src/raft';
import { ApplyError } from '../../src/server/engine/raft-loop-deps';
import type { RaftLoop, StateMachine } from '../../src/server/engine/raft-loop';
import { RequestKind } from '../../src/server/wire/request-codec';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';

export const EFFECT_PREFIX = 'mvcc/effect/';
const EMPTY = Buffer.alloc(0);

export class FakeStateMachine implements StateMachine {
  private writes: BatchOp[] = [];
  loop: RaftLoop | undefined;
  failAt = 0;
  /** Called before each entry is applied. */
  onApply: ((e: Entry) => void) | undefined;
  constructor(private readonly node: RawNode) {}
  applyEntry(e: Entry): void {
    this.onApply?.(e);
    if (e.type === EntryType.EntryConfChange) {
      const cs = this.node.applyConfChange(decodeConfChange(e.data));
      if (this.loop) this.loop.confState = cs;
      return;
    }
    if (e.data.length === 0) return;
    this.writes.push({ type: 'put', key: EFFECT_PREFIX + e.index, value: Buffer.from(e.data) });
    const many = /^many:(\d+)/.exec(Buffer.from(e.data).toString());
    for (let j = 0; many !== null && j < Number(many[1]); j++)
      this.writes.push({ type: 'put', key: `${EFFECT_PREFIX}${e.index}/${j}`, value: EMPTY });
    if (e.index === this.failAt) throw new ApplyError(e.index, RequestKind.Put, new TypeError('boom'));
  }
  drainWrites(): BatchOp[] {
    const w = this.writes;
    this.writes = [];
    return w;
  }
  settled(): void {}

  releaseAcks(): void {}
  prepareInstall(): never {
    throw new Error('a lone member installs no snapshot');
  }
}
