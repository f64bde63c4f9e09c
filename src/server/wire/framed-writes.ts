/**
 * Writing already framed gRPC messages on a grpc-js server stream.
 *
 * grpc-js frames every message it is given and pays a Writable pass, an HTTP/2 write and a
 * callback per message. The watch stream sends thousands of small responses per second, so it
 * encodes them itself (5-byte prefix + protobuf bytes each, see watch-frames.ts) and writes a
 * whole batch as ONE message object. For that, the call's serializeMessage (grpc-js 1.14
 * BaseServerInterceptingCall, which adds the prefix) is overridden on that one call to pass a
 * {@link FramedMessages} through unchanged; everything else about the call (headers, status,
 * cancellation, flow control) stays grpc-js's.
 *
 * If the installed grpc-js has no such method (another version), the batch is split and each
 * body written as a message of its own through {@link passBuffersThrough}'s serializer: slower,
 * same bytes on the wire. test/watch/framed-writes.test.ts checks that the fast path is taken.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { splitFrames } from './watch-frames';
import { baseServerCall, type BaseServerCall } from './grpc-js-call';

/** A batch of complete gRPC frames, written to the HTTP/2 stream as they are. */
export class FramedMessages {
  constructor(readonly bytes: Buffer) {}
}

interface WritableCall {
  write(message: unknown): boolean;
}

export interface FramedWriter {
  /** Writes frames; false = grpc-js buffer is full (wait for 'drain'). */
  write(frames: Buffer): boolean;
  /** True when batches go out as one write (the grpc-js internals were found). */
  readonly batched: boolean;
}

export function framedWriter(call: WritableCall): FramedWriter {
  const base = baseServerCall(call);
  const serialize = base?.serializeMessage;
  if (base !== undefined && typeof serialize === 'function') {
    base.serializeMessage = function (this: BaseServerCall, value: unknown): Buffer {
      return value instanceof FramedMessages ? value.bytes : serialize.call(this, value);
    };
    return { write: (frames) => call.write(new FramedMessages(frames)), batched: true };
  }
  return {
    write: (frames) => {
      let ok = true;
      for (const body of splitFrames(frames)) ok = call.write(body) && ok;
      return ok;
    },
    batched: false,
  };
}

/** The definition with responses that are Buffers sent as they are (the fallback above). */
export function passBuffersThrough(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, md] of Object.entries(def)) {
    const serialize = md.responseSerialize;
    out[name] = { ...md, responseSerialize: (v: unknown) => (Buffer.isBuffer(v) ? v : serialize(v)) };
  }
  return out;
}
