/**
 * A bbolt (go.etcd.io/bbolt v1.4, file format version 2) database writer and reader working on
 * Buffers: etcd's backend and snapshot files are bbolt databases. Pure: no file system, no clock.
 */
export { BoltError, type BoltErrorCode } from './errors';
export type { BoltInfo, BucketTree, ValueSource, WriteOptions, WriteTree } from './types';
export { boltChunks, writeBolt } from './write';
export { readBolt, readBoltInfo } from './read';
