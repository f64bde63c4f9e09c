/**
 * How far V8's old generation may grow past what survived the last full collection. By default
 * V8 picks a factor between 1.1 and 4 from its own speed estimates, and under a steady write
 * load it lets the heap reach 2.5-3 times the live data before collecting. etcd's Go runtime
 * collects when its heap reaches twice the live data (GOGC=100); etcd-ts asks V8 for the same.
 *
 * Measured on this machine (300,000 keys of 256 B written by 64 clientv3 writers): settled RSS
 * 372-391 MB -> 275-277 MB, peak 454-472 -> 356-362 MB, writes/s within the run-to-run spread.
 *
 * A `--heap-growing-percent` given to node (command line or NODE_OPTIONS) wins.
 */
export const HEAP_GROWING_PERCENT = 100;

/** The V8 flag to set at start, or undefined when node was already given one. */
export function heapPolicyFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const given = (a: string): boolean => /^--heap[-_]growing[-_]percent(=|$)/.test(a);
  if (execArgv.some(given)) return undefined;
  if ((nodeOptions ?? '').split(/\s+/).some(given)) return undefined;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}
