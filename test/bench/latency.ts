/**
 * Single-client sequential latency: one grpc-js channel, N Puts one after another (each waits for
 * the previous response), then N linearizable Ranges of single keys, then N serializable Ranges.
 * Prints one JSON object per operation kind with the latency percentiles in milliseconds.
 *
 * Usage: node dist/test/bench/latency.js --endpoint 127.0.0.1:2379 [--n 1000] [--warmup 100]
 *        [--value-size 256] [--label steady]
 *
 * `--label L` names the figures `put-L`, `range-L` and `range-serializable-L` and writes its keys
 * under `/bench/latency/L/`, so that a second run on the same server (test/bench/run.sh's steady
 * state step, with a long warm-up) neither overwrites the first run's keys nor is mistaken for it.
 *
 * The client is grpc-js itself, so every figure includes the client's own cost (~0.1-0.35 ms per
 * call on this machine); it is the same client for every target, so the figures compare.
 */
import * as grpc from '@grpc/grpc-js';
import { method } from '../../src/server/wire/protos';

interface Args {
  endpoint: string;
  n: number;
  warmup: number;
  valueSize: number;
  label: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { endpoint: '', n: 1000, warmup: 100, valueSize: 256, label: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--endpoint':
        args.endpoint = next().replace(/^https?:\/\//, '');
        break;
      case '--n':
        args.n = Number.parseInt(next(), 10);
        break;
      case '--warmup':
        args.warmup = Number.parseInt(next(), 10);
        break;
      case '--value-size':
        args.valueSize = Number.parseInt(next(), 10);
        break;
      case '--label':
        args.label = next();
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  if (args.endpoint === '') throw new Error('--endpoint host:port is required');
  if (!(args.n > 0) || !(args.warmup >= 0) || !(args.valueSize >= 0)) throw new Error('bad --n/--warmup/--value-size');
  if (!/^[a-z0-9]*$/.test(args.label)) throw new Error('--label takes lower-case letters and digits');
  return args;
}

const KV = 'etcdserverpb.KV';

function call(client: grpc.Client, name: 'Put' | 'Range', req: object): Promise<void> {
  const m = method(KV, name);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err) => (err ? reject(err) : resolve()),
    );
  });
}

interface Summary {
  op: string;
  n: number;
  mean_ms: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

function summarize(op: string, samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    op,
    n: s.length,
    mean_ms: round(mean),
    p50_ms: round(pick(0.5)),
    p90_ms: round(pick(0.9)),
    p99_ms: round(pick(0.99)),
    max_ms: round(s[s.length - 1] ?? NaN),
  };
}

async function measure(n: number, warmup: number, op: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await op(i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const client = new grpc.Client(args.endpoint, grpc.credentials.createInsecure(), {
    'grpc.enable_channelz': 0,
  });
  const value = Buffer.alloc(args.valueSize, 0x61);
  const dir = args.label === '' ? '/bench/latency/' : `/bench/latency/${args.label}/`;
  const name = (op: string): string => (args.label === '' ? op : `${op}-${args.label}`);
  const key = (i: number): Buffer => Buffer.from(`${dir}${String(i).padStart(8, '0')}`);
  const total = args.n + args.warmup;
  try {
    const put = await measure(args.n, args.warmup, (i) => call(client, 'Put', { key: key(i), value }));
    const lin = await measure(args.n, args.warmup, (i) => call(client, 'Range', { key: key(i % total) }));
    const ser = await measure(args.n, args.warmup, (i) => call(client, 'Range', { key: key(i % total), serializable: true }));
    for (const s of [summarize(name('put'), put), summarize(name('range'), lin), summarize(name('range-serializable'), ser)]) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
    }
  } finally {
    client.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`latency: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
