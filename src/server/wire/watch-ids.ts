/** etcd's clientv3.InvalidWatchID: never a watcher's id; used for stream-wide responses. */
export const INVALID_WATCH_ID = -1n;
