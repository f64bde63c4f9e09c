/**
 * Quorum arithmetic: majority and joint (two majorities) configurations, the committed index
 * they imply and election outcomes.
 */

export type VoteResult = 'VotePending' | 'VoteLost' | 'VoteWon';

/** Returns the acknowledged index of a voter, or undefined when it has not acknowledged anything. */
export type AckedIndexer = (id: bigint) => number | undefined;

export function sortedIds(ids: Iterable<bigint>): bigint[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function formatIds(ids: Iterable<bigint>): string {
  return '(' + sortedIds(ids).join(' ') + ')';
}

/** The largest index acknowledged by a majority of `voters` (Infinity for an empty config). */
export function majorityCommittedIndex(voters: ReadonlySet<bigint>, acked: AckedIndexer): number {
  const n = voters.size;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  const srt: number[] = new Array<number>(n);
  let i = 0;
  for (const id of voters) srt[i++] = acked(id) ?? 0;
  srt.sort((a, b) => a - b);
  // The element at position n - (n/2 + 1) in ascending order is acked by a majority.
  return srt[n - (Math.floor(n / 2) + 1)]!;
}

export function majorityVoteResult(voters: ReadonlySet<bigint>, votes: ReadonlyMap<bigint, boolean>): VoteResult {
  if (voters.size === 0) return 'VoteWon';
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (yes >= q) return 'VoteWon';
  if (yes + missing >= q) return 'VotePending';
  return 'VoteLost';
}

/** A joint configuration: [incoming, outgoing]. Outgoing is empty outside joint consensus. */
export type JointConfig = [Set<bigint>, Set<bigint>];

export function jointIds(c: JointConfig): Set<bigint> {
  const s = new Set<bigint>(c[0]);
  for (const id of c[1]) s.add(id);
  return s;
}

export function jointCommittedIndex(c: JointConfig, acked: AckedIndexer): number {
  const a = majorityCommittedIndex(c[0], acked);
  const b = majorityCommittedIndex(c[1], acked);
  return Math.min(a, b);
}

export function jointVoteResult(c: JointConfig, votes: ReadonlyMap<bigint, boolean>): VoteResult {
  const r1 = majorityVoteResult(c[0], votes);
  const r2 = majorityVoteResult(c[1], votes);
  if (r1 === r2) return r1;
  if (r1 === 'VoteLost' || r2 === 'VoteLost') return 'VoteLost';
  return 'VotePending';
}

export function formatJoint(c: JointConfig): string {
  if (c[1].size > 0) return formatIds(c[0]) + '&&' + formatIds(c[1]);
  return formatIds(c[0]);
}
