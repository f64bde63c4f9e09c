/**
 * Maintenance.Snapshot (etcd `v3rpc/maintenance.go`): the member's state as an etcd 3.6 backend
 * file (bbolt; see engine/snapshot/etcd-backend.ts), streamed in 32 KiB chunks with
 * `remaining_bytes` and the storage version, then one last message holding the SHA-256 of the
 * file, which etcdctl checks and appends (etcdutl verifies it on restore). Admin only with auth
 * enabled. The file is a consistent cut taken at once; writes go on while it streams. Progress is
 * logged for large files.
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

type Call = ServerWritableStream<Record<string, unknown>, object>;

function drained(call: Call): Promise<void> {
  return new Promise((resolve) => call.once('drain', resolve));
}

async function send(m: MemberApi, call: Call, log: Logger): Promise<void> {
  await requireAdmin(m, call.metadata, call, () => undefined, log);
  const started = Date.now();
  const file = m.backendSnapshot();
  const total = file.length;
  log.info(
    { 'total-bytes': total, 'storage-version': STORAGE_VERSION, 'build-ms': Date.now() - started },
    'sending database snapshot to client',
  );
  const h = createHash('sha256');
  let cancelled = false;
  call.on('cancelled', () => (cancelled = true));
  let nextReport = PROGRESS_EVERY;
  for (let sent = 0; sent < total && !cancelled;) {
    const blob = file.subarray(sent, Math.min(total, sent + CHUNK));
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
  if (cancelled) return;
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
