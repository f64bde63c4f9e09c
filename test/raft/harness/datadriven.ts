/**
 * A small reimplementation of the datadriven transcript format used by etcd-io/raft:
 *
 *   # comment
 *   command arg key=value key=(1,2)
 *   [more input lines]
 *   ----
 *   expected output (no blank lines)
 *
 * Outputs are compared byte for byte; REWRITE=1 regenerates the expected outputs in place.
 */
import * as fs from 'node:fs';

export interface CmdArg {
  key: string;
  vals: string[];
}

export interface TestCase {
  line: number;
  cmd: string;
  args: CmdArg[];
  input: string[];
  expected: string;
}

interface Chunk {
  prefix: string[];
  header: string[];
  tc: TestCase;
}

function parseArgs(s: string): { cmd: string; args: CmdArg[] } {
  const toks = s.trim().split(/\s+/);
  const cmd = toks.shift() ?? '';
  const args: CmdArg[] = toks.map((t) => {
    const eq = t.indexOf('=');
    if (eq < 0) return { key: t, vals: [] };
    const key = t.slice(0, eq);
    let v = t.slice(eq + 1);
    if (v.startsWith('(') && v.endsWith(')')) v = v.slice(1, -1);
    return { key, vals: v === '' ? [] : v.split(',') };
  });
  return { cmd, args };
}

function parse(text: string): { chunks: Chunk[]; trailer: string[] } {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const chunks: Chunk[] = [];
  let prefix: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    if (l.trim() === '' || l.startsWith('#')) {
      prefix.push(l);
      i++;
      continue;
    }
    const startLine = i + 1;
    const header: string[] = [];
    while (i < lines.length && lines[i] !== '----') header.push(lines[i++]!);
    if (i >= lines.length) throw new Error(`line ${startLine}: command without ---- separator`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    const { cmd, args } = parseArgs(header[0]!);
    chunks.push({ prefix, header, tc: { line: startLine, cmd, args, input: header.slice(1), expected: out.join('\n') } });
    prefix = [];
  }
  return { chunks, trailer: prefix };
}

/**
 * Runs every test case in `file` through `run`. Returns a list of mismatch descriptions (empty on
 * success). With REWRITE=1 the file is rewritten with the actual outputs instead.
 */
export function runFile(file: string, run: (tc: TestCase) => string): string[] {
  const { chunks, trailer } = parse(fs.readFileSync(file, 'utf8'));
  const failures: string[] = [];
  const out: string[] = [];
  for (const ch of chunks) {
    let actual = run(ch.tc).replace(/\n+$/, '');
    if (actual === '') actual = 'ok';
    if (actual.split('\n').some((l) => l.trim() === '')) throw new Error(`${file}:${ch.tc.line}: output contains a blank line`);
    if (actual !== ch.tc.expected) {
      failures.push(`${file}:${ch.tc.line}: ${ch.header[0]}\n--- expected\n${ch.tc.expected}\n--- actual\n${actual}`);
    }
    out.push(...ch.prefix, ...ch.header, '----', actual);
  }
  out.push(...trailer);
  if (process.env['REWRITE'] === '1') {
    fs.writeFileSync(file, out.join('\n') + '\n');
    return [];
  }
  return failures;
}
