/**
 * Small grpc-js clients for the robustness tests: typed-ish unary calls through the service
 * definitions of src/server/wire/protos.ts, and raw calls that send arbitrary bytes as the
 * request message.
 */
import * as grpc from '@grpc/grpc-js';
import { method, serviceDefinition } from '../../src/server/wire/protos';

export type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CallError {
  code: number;
  details: string;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_send_message_length': -1,
  'grpc.max_receive_message_length': -1,
  'grpc.enable_retries': 0,
};

export class EtcdClient {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly raw: grpc.Client;

  constructor(readonly endpoint: string) {
    this.raw = new grpc.Client(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  private client(service: string): grpc.Client {
    let c = this.clients.get(service);
    if (c === undefined) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(service) as grpc.ServiceDefinition, service);
      c = new Ctor(this.endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
      this.clients.set(service, c);
    }
    return c;
  }

  /** A unary call; rejects with the ServiceError. */
  call(service: string, name: string, req: Msg, deadlineMs = 10_000): Promise<Msg> {
    const c = this.client(service) as unknown as Record<
      string,
      (r: Msg, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Msg) => void) => void
    >;
    const fn = c[name];
    if (fn === undefined) throw new Error(`no method ${service}/${name}`);
    return new Promise((resolve, reject) => {
      fn.call(c, req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (e, r) => (e ? reject(e) : resolve(r)));
    });
  }

  /**
   * Sends `payload` as-is as the request message of /<service>/<name>. The response is decoded,
   * unless `rawResponse` (then it is `{ raw: Buffer }`: protobufjs cannot decode every response
   * etcd sends, e.g. Txn responses nested deeper than its recursion limit).
   */
  callRaw(service: string, name: string, payload: Buffer, deadlineMs = 10_000, rawResponse = false): Promise<Msg> {
    const m = method(service, name);
    return new Promise((resolve, reject) => {
      this.raw.makeUnaryRequest<Buffer, Msg>(
        m.path,
        (b: Buffer) => b,
        (b: Buffer) => (rawResponse ? { raw: b } : (m.responseDeserialize(b) as Msg)),
        payload,
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (e, r) => (e ? reject(e) : resolve(r as Msg)),
      );
    });
  }

  /** Outcome of a call as {ok, code, details} (never rejects). */
  async outcome(p: Promise<Msg>): Promise<{ ok: true; res: Msg } | { ok: false; code: number; details: string }> {
    try {
      return { ok: true, res: await p };
    } catch (e) {
      const err = e as grpc.ServiceError;
      return { ok: false, code: err.code, details: err.details };
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.raw.close();
  }
}

/** Encodes a request message of /<service>/<name> with the loader's serializer. */
export function encodeRequest(service: string, name: string, req: Msg): Buffer {
  return method(service, name).requestSerialize(req);
}

/** The seeded PRNG the server tests use (test/helpers/prng). */
export { prng } from '../helpers/prng';

export function codeName(code: number): string {
  return (grpc.status as unknown as Record<number, string>)[code] ?? String(code);
}
