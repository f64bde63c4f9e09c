/** HTTP/2 frames (RFC 9113, section 4 and 6): types, flags, error codes, settings, and frame builders. */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const FRAME_HEADER = 9;

export const enum Type {
  DATA = 0,
  HEADERS = 1,
  PRIORITY = 2,
  RST_STREAM = 3,
  SETTINGS = 4,
  PUSH_PROMISE = 5,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
  CONTINUATION = 9,
}

export const enum Flag {
  END_STREAM = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20,
}

/** SETTINGS and PING: the acknowledgement flag (the same bit as END_STREAM). */
export const ACK = 0x1;

export const enum ErrorCode {
  NO_ERROR = 0,
  PROTOCOL_ERROR = 1,
  INTERNAL_ERROR = 2,
  FLOW_CONTROL_ERROR = 3,
  STREAM_CLOSED = 5,
  FRAME_SIZE_ERROR = 6,
  REFUSED_STREAM = 7,
  CANCEL = 8,
  COMPRESSION_ERROR = 9,
}

export const enum Setting {
  HEADER_TABLE_SIZE = 1,
  ENABLE_PUSH = 2,
  MAX_CONCURRENT_STREAMS = 3,
  INITIAL_WINDOW_SIZE = 4,
  MAX_FRAME_SIZE = 5,
  MAX_HEADER_LIST_SIZE = 6,
}

export const DEFAULT_WINDOW = 65535;
export const DEFAULT_MAX_FRAME = 16384;
export const MAX_WINDOW = 2 ** 31 - 1;

/** A connection error: the connection ends with GOAWAY(code). */
export class H2Error extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function frameHeader(b: Buffer, at: number, length: number, type: Type, flags: number, stream: number): void {
  b[at] = length >>> 16;
  b[at + 1] = (length >>> 8) & 0xff;
  b[at + 2] = length & 0xff;
  b[at + 3] = type;
  b[at + 4] = flags;
  b.writeUInt32BE(stream, at + 5);
}

export function frame(type: Type, flags: number, stream: number, payload?: Buffer): Buffer {
  const n = payload?.length ?? 0;
  const b = Buffer.allocUnsafe(FRAME_HEADER + n);
  frameHeader(b, 0, n, type, flags, stream);
  payload?.copy(b, FRAME_HEADER);
  return b;
}

export function u32Frame(type: Type, stream: number, value: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER + 4);
  frameHeader(b, 0, 4, type, 0, stream);
  b.writeUInt32BE(value, FRAME_HEADER);
  return b;
}

export function settingsFrame(settings: readonly (readonly [Setting, number])[]): Buffer {
  const p = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v, i * 6 + 2);
  });
  return frame(Type.SETTINGS, 0, 0, p);
}

export function goawayFrame(lastStream: number, code: ErrorCode, debug = ''): Buffer {
  const d = Buffer.from(debug);
  const p = Buffer.allocUnsafe(8 + d.length);
  p.writeUInt32BE(lastStream, 0);
  p.writeUInt32BE(code, 4);
  d.copy(p, 8);
  return frame(Type.GOAWAY, 0, 0, p);
}

/** A header block as HEADERS (+ CONTINUATION) frames of at most maxFrame octets each. */
export function headerFrames(stream: number, block: Buffer, endStream: boolean, maxFrame: number): Buffer {
  const end = endStream ? Flag.END_STREAM : 0;
  if (block.length <= maxFrame) {
    const b = Buffer.allocUnsafe(FRAME_HEADER + block.length);
    frameHeader(b, 0, block.length, Type.HEADERS, end | Flag.END_HEADERS, stream);
    block.copy(b, FRAME_HEADER);
    return b;
  }
  const parts: Buffer[] = [];
  for (let at = 0; at < block.length; at += maxFrame) {
    const piece = block.subarray(at, at + maxFrame);
    const last = at + maxFrame >= block.length ? Flag.END_HEADERS : 0;
    parts.push(frame(at === 0 ? Type.HEADERS : Type.CONTINUATION, (at === 0 ? end : 0) | last, stream, piece));
  }
  return Buffer.concat(parts);
}
