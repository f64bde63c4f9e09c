/**
 * A long-running etcdctl (watch never exits by itself): spawned asynchronously, its output
 * collected, stdin kept open for interactive mode; `until` waits for a condition on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { toolPath } from '../helpers/tools';

export interface EtcdctlProc {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Writes a line to stdin (interactive mode). */
  send(line: string): void;
  /** Resolves when pred(stdout) holds or the process exits; rejects after timeoutMs. */
  until(pred: (out: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Kills it (if still running) and resolves with what it printed. */
  stop(): Promise<{ stdout: string; stderr: string; code: number | null }>;
  exited(): Promise<number | null>;
}

export function startEtcdctl(endpoint: string, args: string[]): EtcdctlProc {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  const child = spawn(toolPath('etcdctl'), [`--endpoints=${endpoint}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const waiters: (() => void)[] = [];
  const poke = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    poke();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    poke();
  });
  child.stdin!.on('error', () => undefined);
  const exit = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      exitCode = code;
      poke();
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    send: (line) => void child.stdin!.write(line + '\n'),
    until(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`etcdctl ${args.join(' ')}: condition not met in ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        const check = (): void => {
          if (pred(out) || exitCode !== undefined) {
            clearTimeout(timer);
            resolve();
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    async stop() {
      if (exitCode === undefined) child.kill('SIGKILL');
      const code = await exit;
      return { stdout: out, stderr: err, code };
    },
    exited: () => exit,
  };
}
