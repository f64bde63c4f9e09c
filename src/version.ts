/**
 * Versions reported by etcd-ts.
 *
 * `ETCD_VERSION` is the etcd release whose behaviour we emulate (`etcd --version`, the
 * Maintenance/Status `version` field); `ETCD_CLUSTER_VERSION` is the cluster version a
 * fresh cluster reports; `ETCD_TS_VERSION` is this project's own version.
 */
export const ETCD_VERSION = '3.6.14';
export const ETCD_CLUSTER_VERSION = '3.6.0';
export const ETCD_TS_VERSION = '0.1.0';
