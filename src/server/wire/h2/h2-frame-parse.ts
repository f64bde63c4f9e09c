/** Checks and reads of single HTTP/2 frame payloads (RFC 9113, section 6); violations throw H2Error. */
import { ErrorCode, Flag, H2Error, MAX_WINDOW, DEFAULT_MAX_FRAME, Setting } from './frames';

/** The header block fragment of a HEADERS frame, padding and priority removed: [start, end). */
export function headersFragment(flags: number, payload: Buffer): [number, number] {
  let start = 0;
  let end = payload.length;
  if ((flags & Flag.PADDED) !== 0) {
    if (end < 1) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'bad padding');
    end -= payload[0]!;
    start = 1;
  }
  if ((flags & Flag.PRIORITY) !== 0) start += 5;
  if (start > end) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'bad padding');
  return [start, end];
}

/** The data of a DATA frame, padding removed. */
export function dataOf(flags: number, payload: Buffer): Buffer {
  if ((flags & Flag.PADDED) === 0) return payload;
  if (payload.length < 1 || payload[0]! >= payload.length) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'bad padding');
  return payload.subarray(1, payload.length - payload[0]!);
}

/** A frame that must have exactly `n` octets. */
export function expectSize(payload: Buffer, n: number, what: string): void {
  if (payload.length !== n) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, `${what} of ${payload.length} octets`);
}

/** A SETTINGS frame's values, checked as RFC 9113 section 6.5.2 says. */
export function settingsOf(p: Buffer): [Setting, number][] {
  if (p.length % 6 !== 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS size');
  const out: [Setting, number][] = [];
  for (let at = 0; at < p.length; at += 6) {
    const id = p.readUInt16BE(at) as Setting;
    const v = p.readUInt32BE(at + 2);
    if (id === Setting.ENABLE_PUSH && v > 1) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH');
    if (id === Setting.INITIAL_WINDOW_SIZE && v > MAX_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE');
    if (id === Setting.MAX_FRAME_SIZE && (v < DEFAULT_MAX_FRAME || v > 16777215))
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE');
    out.push([id, v]);
  }
  return out;
}
