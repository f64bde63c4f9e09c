import type { RunningMember } from '../helpers/running-member';
import { runEtcdctl, withoutClientLogs, type RunResult } from '../helpers/tools';

/** What must be replaced in one target's outputs so that two fresh single-member clusters compare equal. */
export interface Identity {
  memberIdDec: string;
  memberIdHex: string;
  clusterIdDec: string;
  clusterIdHex: string;
  endpoint: string;
  clientUrl: string;
  peerUrl: string;
}

/**
 * Learns a member's ids and peer URL through `etcdctl member list -w json` (parsed with regexes:
 * the ids are uint64 values JSON.parse would round).
 */
export async function identify(m: RunningMember): Promise<Identity> {
  const r = await runEtcdctl(m.endpoint, ['member', 'list', '-w', 'json']);
  if (r.code !== 0) throw new Error(`etcdctl member list failed (exit ${r.code}): ${withoutClientLogs(r.stderr).trim()}`);
  const cluster = /"cluster_id":(\d+)/.exec(r.stdout);
  const member = /"ID":(\d+)/.exec(r.stdout);
  const peer = /"peerURLs":\["([^"]+)"/.exec(r.stdout);
  if (!cluster || !member || !peer) throw new Error(`cannot parse member list: ${r.stdout}`);
  return {
    memberIdDec: member[1]!,
    memberIdHex: BigInt(member[1]!).toString(16),
    clusterIdDec: cluster[1]!,
    clusterIdHex: BigInt(cluster[1]!).toString(16),
    endpoint: m.endpoint,
    clientUrl: m.clientUrl,
    peerUrl: peer[1]!,
  };
}

function replaceAll(s: string, from: string, to: string): string {
  return from === '' ? s : s.split(from).join(to);
}

/** Column names of `endpoint status` (simple output has the same fields, comma-separated). */
const STATUS_COLUMNS = [
  'ENDPOINT',
  'ID',
  'VERSION',
  'STORAGE VERSION',
  'DB SIZE',
  'IN USE',
  'PERCENTAGE NOT IN USE',
  'QUOTA',
  'IS LEADER',
  'IS LEARNER',
  'RAFT TERM',
  'RAFT INDEX',
  'RAFT APPLIED INDEX',
  'ERRORS',
  'DOWNGRADE TARGET VERSION',
  'DOWNGRADE ENABLED',
];
/** Status columns whose values legitimately differ between implementations. */
const STATUS_VARIABLE: Record<string, string> = {
  VERSION: '<VERSION>',
  'DB SIZE': '<SIZE>',
  'IN USE': '<SIZE>',
  'PERCENTAGE NOT IN USE': '<PCT>',
  'RAFT TERM': '<TERM>',
  'RAFT INDEX': '<INDEX>',
  'RAFT APPLIED INDEX': '<INDEX>',
};

function normaliseStatusCells(cells: string[], header: string[]): string[] {
  return cells.map((c, i) => {
    const col = header[i] ?? '';
    const repl = STATUS_VARIABLE[col];
    if (repl === undefined || c === '') return c; // '' in a row continuing a wrapped cell
    if (col === 'DB SIZE' && !/^[1-9]/.test(c)) return `<BAD DB SIZE ${c}>`; // etcdctl needs dbSize > 0
    return repl;
  });
}

/** Tables: drop borders, trim cells (widths depend on the values normalised away). */
function normaliseTables(text: string, statusTable: boolean): string {
  const out: string[] = [];
  let header: string[] | null = null;
  for (const line of text.split('\n')) {
    if (/^\+[-+]+\+$/.test(line)) continue;
    if (line.startsWith('|') && line.endsWith('|')) {
      let cells = line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
      if (statusTable) {
        if (header === null) header = cells;
        else cells = normaliseStatusCells(cells, header);
      }
      out.push(`| ${cells.join(' | ')} |`);
    } else {
      out.push(line);
    }
  }
  return out.join('\n');
}

export type OutputKind = 'plain' | 'status';

/** Normalises one etcdctl result of a target so it compares equal across implementations. */
export function normalise(r: RunResult, id: Identity, kind: OutputKind = 'plain'): RunResult {
  const fix = (text: string): string => {
    let s = text;
    s = replaceAll(s, id.clientUrl, '<CLIENT_URL>');
    s = replaceAll(s, id.peerUrl, '<PEER_URL>');
    s = replaceAll(s, id.endpoint, '<ENDPOINT>');
    s = replaceAll(s, id.memberIdDec, '<MEMBER_ID>');
    s = replaceAll(s, id.clusterIdDec, '<CLUSTER_ID>');
    s = s.replace(new RegExp(`\\b${id.memberIdHex}\\b`, 'g'), '<MEMBER_ID>');
    s = s.replace(new RegExp(`\\b${id.clusterIdHex}\\b`, 'g'), '<CLUSTER_ID>');
    s = s.replace(/"raft_term":\d+/g, '"raft_term":"<TERM>"');
    s = s.replace(/"raftTerm":\d+/g, '"raftTerm":"<TERM>"');
    s = s.replace(/"RaftTerm" : \d+/g, '"RaftTerm" : "<TERM>"');
    s = s.replace(/took = [0-9.]+[a-zµ]*s/g, 'took = <TOOK>');
    s = s.replace(/"took":"[^"]*"/g, '"took":"<TOOK>"');
    s = s.replace(/\| [0-9.]+[a-zµ]*s \|/g, '| <TOOK> |');
    if (kind === 'status') {
      // JSON form.
      s = s.replace(/"dbSize":(\d+)/g, (_m, n: string) => (Number(n) > 0 ? '"dbSize":"<SIZE>"' : `"dbSize":"<BAD ${n}>"`));
      s = s.replace(/"dbSizeInUse":\d+/g, '"dbSizeInUse":"<SIZE>"');
      s = s.replace(/"(raftIndex|raftAppliedIndex)":\d+/g, '"$1":"<INDEX>"');
      s = s.replace(/"version":"[^"]*"/g, '"version":"<VERSION>"');
      // Simple form: one comma-separated line per endpoint.
      s = s
        .split('\n')
        .map((line) => {
          const cells = line.split(', ');
          return cells.length === STATUS_COLUMNS.length && cells[0] === '<ENDPOINT>'
            ? normaliseStatusCells(cells, STATUS_COLUMNS).join(', ')
            : line;
        })
        .join('\n');
    }
    return normaliseTables(s, kind === 'status');
  };
  // etcdctl's client logs (zap JSON lines with timestamps and local ports) are noise; keep the rest.
  const stderr = withoutClientLogs(r.stderr);
  return { code: r.code, stdout: fix(r.stdout), stderr: fix(stderr) };
}
