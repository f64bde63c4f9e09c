/**
 * The cluster's alarms (etcd `server/etcdserver/api/v3alarm`): which member raised which alarm.
 * Changed only by applying Raft entries, so every member holds the same set. Kept in the MVCC
 * engine under `alarm/<type>/<member id, 16 hex digits>` (outside the revision key space), so
 * it is written with the applied batch, reloaded at boot and carried by state snapshots.
 */
import type { Engine } from '../../../mvcc/engine';
import { ALARM_TYPES, alarmTypeOf, type AlarmType } from '../../wire/alarm-type';

export type { AlarmType };

export interface AlarmMember {
  memberID: bigint;
  alarm: AlarmType;
}

const PREFIX = 'alarm/';
const END = 'alarm0';

function keyOf(a: AlarmMember): string {
  return `${PREFIX}${a.alarm}/${a.memberID.toString(16).padStart(16, '0')}`;
}

export class AlarmStore {
  private readonly engine: Engine;
  private readonly byType = new Map<AlarmType, Map<bigint, AlarmMember>>();

  constructor(engine: Engine) {
    this.engine = engine;
    this.reload();
  }

  /** Re-reads the alarms from the engine (after boot or a snapshot install). */
  reload(): void {
    this.byType.clear();
    for (const [k] of this.engine.scan(PREFIX, END)) {
      const [type, hex] = k.slice(PREFIX.length).split('/');
      const alarm = alarmTypeOf(type);
      if (alarm === undefined || hex === undefined) continue;
      this.set({ alarm, memberID: BigInt(`0x${hex}`) });
    }
  }

  private set(a: AlarmMember): void {
    let m = this.byType.get(a.alarm);
    if (m === undefined) this.byType.set(a.alarm, (m = new Map()));
    m.set(a.memberID, a);
  }

  /** Raises `alarm` for `memberID`; returns the alarm (the existing one if already raised). */
  activate(memberID: bigint, alarm: AlarmType): { member: AlarmMember; raised: boolean } {
    const existing = this.byType.get(alarm)?.get(memberID);
    if (existing !== undefined) return { member: existing, raised: false };
    const a = { memberID, alarm };
    this.set(a);
    this.engine.put(keyOf(a), new Uint8Array(0));
    return { member: a, raised: true };
  }

  /** Clears `alarm` for `memberID`; returns the alarm cleared, or undefined if it was not raised. */
  deactivate(memberID: bigint, alarm: AlarmType): AlarmMember | undefined {
    const a = this.byType.get(alarm)?.get(memberID);
    if (a === undefined) return undefined;
    this.byType.get(alarm)!.delete(memberID);
    this.engine.del(keyOf(a));
    return a;
  }

  /** The alarms of one type, or all of them (`undefined`), by type then member id. */
  get(alarm?: AlarmType): AlarmMember[] {
    const out: AlarmMember[] = [];
    for (const t of ALARM_TYPES) {
      if (alarm !== undefined && t !== alarm) continue;
      const m = this.byType.get(t);
      if (m === undefined) continue;
      out.push(...[...m.values()].sort((a, b) => (a.memberID < b.memberID ? -1 : a.memberID > b.memberID ? 1 : 0)));
    }
    return out;
  }

  /** Whether any member has raised `alarm`. */
  has(alarm: AlarmType): boolean {
    return (this.byType.get(alarm)?.size ?? 0) > 0;
  }
}
