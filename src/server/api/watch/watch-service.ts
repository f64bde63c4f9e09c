/**
 * etcdserverpb.Watch (etcd v3rpc watch.go + the stream part of interceptor.go): one
 * {@link ServerWatchStream} per gRPC stream, all sharing the member's {@link WatchHub}.
 *
 * Stream life:
 * - `hasleader: true` metadata and no leader -> the stream fails at once with ErrGRPCNoLeader;
 *   such streams are also failed with it once the member has had no leader for
 *   NO_LEADER_CHECKS consecutive election timeouts (etcd's monitorLeader).
 * - The client half-closing its side does NOT end the stream: like etcd (recvLoop returns on
 *   EOF, the handler waits for the stream context), already created watchers keep delivering
 *   until the client cancels the call.
 * - Client cancel / connection loss -> every watcher of the stream is canceled.
 */
import type { Logger } from 'pino';
import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError, isEtcdError } from '../../../errors';
import type { KeyValue } from '../../../mvcc';
import { method } from '../../wire/protos';
import { toServiceError, wireMessage } from '../../wire/error-table';
import type { MemberApi } from '../../engine/member-api';
import { ServerWatchStream, type StreamEnv } from './stream';
import { watchDenied } from '../auth/watch-check';
import { FlushQueue } from './flush-queue';
import type { WireWatchResponse } from './response';
import { WatchEncoder } from './wire-encoder';
import { encodeHeader } from '../../wire/kv-proto';
import { framedWriter } from '../../wire/framed-writes';

/** etcd's maxNoLeaderCnt. */
export const NO_LEADER_CHECKS = 3;
/** etcd's minWatchProgressInterval and default progressReportInterval. */
const MIN_PROGRESS_MS = 100;
const DEFAULT_PROGRESS_MS = 10 * 60 * 1000;

/** etcd's GetProgressReportInterval: the interval plus up to 10% jitter. */
export function progressInterval(configuredMs: number, random: () => number = Math.random): number {
  const base = configuredMs <= 0 ? DEFAULT_PROGRESS_MS : Math.max(MIN_PROGRESS_MS, configuredMs);
  return base + Math.floor(random() * (base / 10));
}

type Call = ServerDuplexStream<Record<string, unknown>, WireWatchResponse>;

export function watchService(m: MemberApi, log: Logger): UntypedServiceImplementation {
  const serialize = method('etcdserverpb.Watch', 'Watch').responseSerialize;
  const readPrev = (key: Buffer, rev: number): KeyValue | undefined => {
    try {
      return m.mvcc.range({ key, revision: rev }).kvs[0];
    } catch (e) {
      if (isEtcdError(e)) return undefined; // compacted: prev_kv silently omitted
      throw e;
    }
  };
  const encoder = new WatchEncoder(readPrev);
  // One revision's header is the same for every watcher: encode it once.
  let cached: { revision: number; term: number; bytes: Buffer } = { revision: -1, term: -1, bytes: Buffer.alloc(0) };
  const headerBytes = (revision: number): Buffer => {
    const term = m.raft.term;
    if (cached.revision !== revision || cached.term !== term) cached = { revision, term, bytes: encodeHeader(m.header(revision)) };
    return cached.bytes;
  };
  const flushQueue = new FlushQueue(m.watchHub.scheduler);
  const env = (): StreamEnv => ({
    hub: m.watchHub,
    header: (rev?: number) => m.header(rev),
    fragmentLimit: m.config.maxRequestBytes + 512 * 1024,
    encodeObject: (o: object) => serialize(o),
    encoder,
    headerBytes,
    flushQueue,
    compactedReason: wireMessage('Compacted'),
    progressIntervalMs: progressInterval(m.config.watchProgressNotifyMs),
    scheduler: m.watchHub.scheduler,
  });

  let warned = false;
  const warnUnbatched = (): void => {
    if (warned) return;
    warned = true;
    log.warn('grpc-js internals not as expected (not 1.14?): watch responses are written one by one (slower)');
  };

  // Streams opened with hasleader=true, failed together when the leader stays lost.
  const needLeader = new Set<Call>();
  let monitor: NodeJS.Timeout | undefined;
  let noLeaderCount = 0;
  const fail = (call: Call, err: EtcdError): void => {
    call.emit('error', toServiceError(err));
  };
  const watchLeader = (): void => {
    if (monitor !== undefined) return;
    noLeaderCount = 0;
    monitor = setInterval(() => {
      noLeaderCount = m.raft.lead === 0n ? noLeaderCount + 1 : 0;
      if (noLeaderCount < NO_LEADER_CHECKS) return;
      for (const call of [...needLeader]) fail(call, new EtcdError('NoLeader'));
      needLeader.clear();
    }, m.config.electionMs);
    monitor.unref?.();
  };
  const unwatch = (call: Call): void => {
    needLeader.delete(call);
    if (needLeader.size === 0 && monitor !== undefined) {
      clearInterval(monitor);
      monitor = undefined;
    }
  };

  return {
    Watch: (call: Call): void => {
      const hasLeader = call.metadata.get('hasleader')[0] === 'true';
      if (hasLeader && m.raft.lead === 0n) {
        fail(call, new EtcdError('NoLeader'));
        return;
      }
      const writer = framedWriter(call);
      if (!writer.batched) warnUnbatched();
      const stream = new ServerWatchStream(
        { ...env(), authorize: (key, end) => watchDenied(m, call, key, end, log) },
        {
          write: (frames) => writer.write(frames),
          onceDrain: (cb) => call.once('drain', cb),
          setReading: (on) => (on ? call.resume() : call.pause()),
          fail: (e) => {
            log.warn({ err: (e as Error).message, stack: (e as Error).stack }, 'watch response failed');
            call.emit('error', toServiceError(e));
          },
        },
      );
      if (hasLeader) {
        needLeader.add(call);
        watchLeader();
      }
      m.watchHub.streams++;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        m.watchHub.streams--;
        stream.close();
        unwatch(call);
      };
      call.on('data', (req: Record<string, unknown>) => {
        try {
          stream.handle(req);
        } catch (e) {
          log.warn({ err: (e as Error).message, stack: (e as Error).stack }, 'watch request failed');
          finish();
          call.emit('error', toServiceError(e));
        }
      });
      // Half-close ('end') keeps the stream open, like etcd.
      call.on('cancelled', finish);
      call.on('error', finish);
      call.on('close', finish);
      call.on('finish', finish);
    },
  };
}
