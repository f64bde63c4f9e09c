/**
 * Sends one MsgSnap over its own `Snapshot` call: the MsgSnap (snapshot.data emptied) and the blob
 * size in the first chunk, the blob in `chunkSize` pieces with HTTP/2 backpressure, the sha256 of
 * the blob in the last chunk. Resolves when the receiver confirmed the whole blob.
 */
import { createHash } from 'node:crypto';
import type { Client, ClientWritableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Message } from '../../../raft/types';
import { encodeSnapshotChunk } from './peer-codec';
import { PEER_SERVICE, SNAPSHOT_PATH } from './peer-service';

export interface SnapshotSendOptions {
  client: Client;
  metadata: Metadata;
  msg: Message;
  blob: Uint8Array;
  chunkSize: number;
  log: Logger;
  /** Log a progress line every this many bytes. */
  progressEvery: number;
  /** Fault injection for tests: may replace a chunk's data after the checksum was computed. */
  mutateChunk?: (index: number, data: Uint8Array) => Uint8Array;
}

export interface SnapshotSendResult {
  bytes: number;
  chunks: number;
  durationMs: number;
}

const def = PEER_SERVICE.Snapshot!;

export async function sendSnapshot(o: SnapshotSendOptions): Promise<SnapshotSendResult> {
  const started = Date.now();
  const { blob, msg } = o;
  const snap = msg.snapshot;
  if (snap === undefined) throw new Error('MsgSnap without a snapshot');
  const header: Message = { ...msg, snapshot: { data: new Uint8Array(0), metadata: snap.metadata } };
  const digest = createHash('sha256').update(blob).digest();
  const nChunks = Math.max(1, Math.ceil(blob.length / o.chunkSize));
  const to = msg.to.toString();
  o.log.info({ to, index: snap.metadata.index, term: snap.metadata.term, bytes: blob.length, chunks: nChunks }, 'sending snapshot');

  let call!: ClientWritableStream<Buffer>;
  let settled: Error | null | undefined;
  const result = new Promise<number>((resolve, reject) => {
    call = o.client.makeClientStreamRequest<Buffer, number>(
      SNAPSHOT_PATH,
      def.requestSerialize,
      def.responseDeserialize,
      o.metadata,
      (err: ServiceError | null, n?: number) => {
        settled = err;
        if (err !== null) reject(err);
        else resolve(n ?? 0);
      },
    );
  });
  result.catch(() => undefined);
  const waitDrain = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        result.catch(() => undefined);
        resolve();
      };
      call.once('drain', onDrain);
      result.then(
        () => resolve(),
        (e: unknown) => {
          call.off('drain', onDrain);
          reject(e);
        },
      );
    });

  let nextProgress = o.progressEvery;
  for (let i = 0; i < nChunks; i++) {
    if (settled !== undefined) break;
    const start = i * o.chunkSize;
    let data: Uint8Array = blob.subarray(start, Math.min(blob.length, start + o.chunkSize));
    if (o.mutateChunk !== undefined) data = o.mutateChunk(i, data);
    const last = i === nChunks - 1;
    const buf = encodeSnapshotChunk({
      ...(i === 0 ? { message: header, totalSize: blob.length } : {}),
      data,
      ...(last ? { sha256: digest } : {}),
    });
    if (!call.write(buf)) await waitDrain();
    const sent = start + data.length;
    if (sent >= nextProgress && !last) {
      o.log.info({ to, bytes: sent, total: blob.length, chunks: i + 1, elapsedMs: Date.now() - started }, 'snapshot send progress');
      nextProgress += o.progressEvery;
    }
  }
  call.end();
  const received = await result;
  const durationMs = Date.now() - started;
  if (received !== blob.length) throw new Error(`receiver confirmed ${received} of ${blob.length} snapshot bytes`);
  o.log.info(
    {
      to,
      index: snap.metadata.index,
      bytes: blob.length,
      chunks: nChunks,
      durationMs,
      mibPerSec: durationMs > 0 ? +(blob.length / 1048576 / (durationMs / 1000)).toFixed(1) : undefined,
    },
    'sent snapshot',
  );
  return { bytes: blob.length, chunks: nChunks, durationMs };
}
