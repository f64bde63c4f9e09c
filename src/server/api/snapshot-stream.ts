/**
 * Maintenance.Snapshot (etcd `v3rpc/maintenance.go`): the member's state as an etcd 3.6 backend
 * file (bbolt; see engine/snapshot/etcd-backend.ts), streamed in 32 KiB chunks with
 * `remaining_bytes` and the storage version, then one last message holding the SHA-256 of the
 * file, which etcdctl checks and appends (etcdutl verifies it on restore). Admin only with auth
 * enabled. The cut is taken at once (the records as of now, without copying them); the file's
 * pages are then produced as the stream drains, yielding to other requests between chunks, so
 * writes go on and the file is never held whole. Progress is logged for large files.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { MemberApi } from '../engine/member-api';
import { toServiceError } from '../wire/error-table';
import { STORAGE_VERSION } from '../wire/etcd-records';
import { requireAdmin } from './auth/credentials';

const CHUNK = 32 * 1024;
const PROGRESS_EVERY = 64 * 1024 * 1024;
/** Bytes produced between yields to the event loop. */
const TURN_EVERY = 256 * 1024;

type Call = ServerWritableStream<Record<string, unknown>, object>;

function drained(call: Call): Promise<void> {
  return new Promise((resolve) => call.once('drain', resolve));
}

/** Yields to the event loop so that other requests are served between chunks. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function send(m: MemberApi, call: Call, log: Logger): Promise<void> {
  await requireAdmin(m, call.metadata, call, () => undefined, log);
  const started = Date.now();
  const snap = await m.backendSnapshot();
  try {
    await stream(snap.size, snap.chunks, call, log, started);
  } finally {
    await snap.close();
  }
}

async function stream(total: number, chunks: Iterator<Buffer>, call: Call, log: Logger, started: number): Promise<void> {
  log.info(
    { 'total-bytes': total, 'storage-version': STORAGE_VERSION, 'plan-ms': Date.now() - started },
    'sending database snapshot to client',
  );
  const h = createHash('sha256');
  let cancelled = false;
  call.on('cancelled', () => (cancelled = true));
  let nextReport = PROGRESS_EVERY;
  let sent = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (min: number): Promise<void> => {
    while (pendingBytes >= min && pendingBytes > 0 && !cancelled) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      const blob = all.subarray(0, Math.min(CHUNK, all.length));
      const rest = all.subarray(blob.length);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      sent += blob.length;
      h.update(blob);
      if (!call.write({ remaining_bytes: total - sent, blob, version: STORAGE_VERSION })) await drained(call);
      if (sent >= nextReport) {
        nextReport += PROGRESS_EVERY;
        const secs = (Date.now() - started) / 1000;
        log.info(
          { 'sent-bytes': sent, 'total-bytes': total, 'mib-per-sec': +(sent / 1048576 / Math.max(secs, 0.001)).toFixed(1) },
          'sending database snapshot',
        );
      }
    }
  };
  let sinceTurn = 0;
  for (let c = chunks.next(); !c.done && !cancelled; c = chunks.next()) {
    pending.push(c.value);
    pendingBytes += c.value.length;
    await flush(CHUNK);
    sinceTurn += c.value.length;
    if (sinceTurn >= TURN_EVERY) {
      sinceTurn = 0;
      await turn();
    }
  }
  await flush(1);
  if (cancelled) return;
  if (sent !== total) throw new Error(`snapshot: sent ${sent} bytes of ${total}`);
  const sha = h.digest();
  log.info(
    { 'total-bytes': total, 'checksum-size': sha.length, took: `${Date.now() - started}ms` },
    'sending database sha256 checksum to client',
  );
  call.write({ remaining_bytes: 0, blob: sha, version: STORAGE_VERSION });
  call.end();
}

export function snapshotHandler(m: MemberApi, log: Logger): (call: Call) => void {
  return (call) => {
    send(m, call, log).catch((e: unknown) => {
      log.warn({ err: (e as Error).message }, 'snapshot failed');
      call.emit('error', toServiceError(e));
    });
  };
}
