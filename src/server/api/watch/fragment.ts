/**
 * Splitting a large watch response (etcd v3rpc `sendFragments`), only for watchers created with
 * `fragment: true`: when the encoded response is at least `limit` bytes (etcd: max-request-bytes
 * + 512 KiB gRPC overhead) and holds at least 2 events, it is sent as several responses, each
 * filled greedily while its size (with fragment=true) stays below the limit but with at least
 * one event; all carry fragment=true except the last.
 *
 * Sizes are computed without re-encoding: a protobuf message's size is the size of its other
 * fields plus the sum of the sizes of its repeated `events` fields.
 */
export interface FragmentableResponse {
  events: readonly object[];
  fragment?: boolean;
  [field: string]: unknown;
}

/** size(o) = encoded byte length of a WatchResponse object. */
export function fragmentResponse<T extends FragmentableResponse>(wr: T, limit: number, size: (o: object) => number): T[] {
  const n = wr.events.length;
  if (n < 2) return [wr];
  const evSizes = wr.events.map((ev) => size({ events: [ev] }));
  const total = size({ ...wr, events: [] }) + evSizes.reduce((a, b) => a + b, 0);
  if (total < limit) return [wr];

  const baseFrag = size({ ...wr, events: [], fragment: true });
  const out: T[] = [];
  let idx = 0;
  for (;;) {
    const events: object[] = [];
    let sz = baseFrag;
    while (idx < n) {
      events.push(wr.events[idx]!);
      sz += evSizes[idx]!;
      if (events.length > 1 && sz >= limit) {
        events.pop();
        break;
      }
      idx++;
    }
    const last = idx === n;
    out.push({ ...wr, events, fragment: !last });
    if (last) return out;
  }
}
