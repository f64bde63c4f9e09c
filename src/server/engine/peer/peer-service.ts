/**
 * The grpc-js ServiceDefinition of `etcdts.peer.Peer` (proto/etcdts/peer.proto) with the
 * hand-written codecs of peer-codec.ts. Stream and Snapshot requests travel pre-encoded (the
 * sender builds the MessageBatch / SnapshotChunk bytes itself; the receiver decodes them in the
 * handler, so a malformed batch ends the call with a clear status instead of a codec error).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  decodeEmpty,
  decodeIdentity,
  decodeSnapshotResult,
  encodeEmpty,
  encodeIdentity,
  encodeSnapshotResult,
  type Identity,
} from './peer-codec';

const SERVICE = '/etcdts.peer.Peer/';
export const STREAM_PATH = `${SERVICE}Stream`;
export const SNAPSHOT_PATH = `${SERVICE}Snapshot`;
export const PROBE_PATH = `${SERVICE}Probe`;

const raw = (b: Buffer): Buffer => b;

export const PEER_SERVICE: ServiceDefinition = {
  Stream: {
    path: `${SERVICE}Stream`,
    requestStream: true,
    responseStream: true,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: (v: Identity) => encodeIdentity(v),
    responseDeserialize: (b: Buffer) => decodeIdentity(b),
  },
  Snapshot: {
    path: `${SERVICE}Snapshot`,
    requestStream: true,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: (n: number) => encodeSnapshotResult(n),
    responseDeserialize: (b: Buffer) => decodeSnapshotResult(b),
  },
  Probe: {
    path: `${SERVICE}Probe`,
    requestStream: false,
    responseStream: false,
    requestSerialize: () => encodeEmpty(),
    requestDeserialize: (b: Buffer) => decodeEmpty(b),
    responseSerialize: (v: Identity) => encodeIdentity(v),
    responseDeserialize: (b: Buffer) => decodeIdentity(b),
  },
};
