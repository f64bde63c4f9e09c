/** The alarm types etcd defines (etcdserverpb.AlarmType, NONE aside). */
export type AlarmType = 'NOSPACE' | 'CORRUPT';

export const ALARM_TYPES: readonly AlarmType[] = ['NOSPACE', 'CORRUPT'];

/** The alarm type a request names, or undefined (NONE, or a value etcd does not define). */
export function alarmTypeOf(v: unknown): AlarmType | undefined {
  return ALARM_TYPES.includes(v as AlarmType) ? (v as AlarmType) : undefined;
}
