/**
 * The cluster's downgrade job (etcd `etcdserver/version` Downgrade*, `DowngradeInfoSetRequest`):
 * whether a downgrade to `targetVersion` (major.minor.0) is enabled. Changed only by applying
 * Raft entries; kept in the member's engine under `downgrade`, so it is written with the applied
 * batch and carried by snapshots. etcd-ts records the job and reports it (Status, snapshots)
 * but does not itself change its storage format: the members are then replaced by etcd 3.5
 * binaries, as etcd's downgrade procedure does.
 */
import type { Engine } from '../../../mvcc/engine';

export interface DowngradeInfo {
  enabled: boolean;
  /** e.g. "3.5.0"; '' when no job. */
  targetVersion: string;
}

const KEY = 'downgrade';

export class DowngradeStore {
  private readonly engine: Engine;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  get info(): DowngradeInfo {
    const v = this.engine.get(KEY);
    if (v === undefined) return { enabled: false, targetVersion: '' };
    return JSON.parse(Buffer.from(v).toString('utf8')) as DowngradeInfo;
  }

  apply(info: DowngradeInfo): void {
    if (info.enabled) this.engine.put(KEY, Buffer.from(JSON.stringify(info), 'utf8'));
    else this.engine.del(KEY);
  }
}
