// Auth tokens side by side with etcd 3.6, on keys made by the test: JWT tokens (RS256, ES256)
// from --auth-token jwt,... — their header, claims, expiry and signature (checked with
// node:crypto), their use over gRPC, refusal once the auth revision moved on, when tampered with,
// forged or expired, and a token minted by etcd accepted by etcd-ts and the other way round; bad
// --auth-token values refused at start with etcd's exit code and fatal log line; and the client
// certificate's common name as the user under --client-cert-auth, a token winning over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from '../../src/server/wire/protos';
import { type CertFiles, makeCertFiles } from '../helpers/certs';
import { startMember } from '../helpers/member';
import { freePort } from '../helpers/ports';
import { etcdTsBin, runEtcdTs } from '../helpers/process-member';
import { startRealEtcd } from '../helpers/real-etcd';
import type { RunningMember } from '../helpers/running-member';
import { run, runEtcdctl, toolPath, waitForChild, withoutClientLogs, type RunResult } from '../helpers/tools';

type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Alg = 'RS256' | 'ES256';

interface KeyFiles {
  dir: string;
  rsaPub: string;
  rsaPriv: string;
  otherRsaPub: string;
  ecPub: string;
  ecPriv: string;
  junk: string;
}

function makeKeyFiles(): KeyFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-tokens-keys-'));
  const write = (name: string, text: string | Buffer): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const pem = (k: crypto.KeyObject, priv: boolean): string =>
    k.export(priv ? { type: 'pkcs8', format: 'pem' } : { type: 'spki', format: 'pem' }) as string;
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    dir,
    rsaPub: write('rsa.pub.pem', pem(rsa.publicKey, false)),
    rsaPriv: write('rsa.key.pem', pem(rsa.privateKey, true)),
    otherRsaPub: write('other-rsa.pub.pem', pem(other.publicKey, false)),
    ecPub: write('ec.pub.pem', pem(ec.publicKey, false)),
    ecPriv: write('ec.key.pem', pem(ec.privateKey, true)),
    junk: write('junk.pem', 'not a key\n'),
  };
}

// ---------------------------------------------------------------------------------------------
// gRPC

interface Grpc {
  call(service: 'Auth' | 'KV', name: string, req: Msg, token?: string): Promise<Msg>;
  close(): void;
}

function grpcClient(endpoint: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure()): Grpc {
  const clients = new Map<string, grpc.Client>();
  const client = (service: string): grpc.Client => {
    let c = clients.get(service);
    if (c === undefined) {
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(`etcdserverpb.${service}`), service);
      c = new Ctor(endpoint, creds, { 'grpc.enable_retries': 0 });
      clients.set(service, c);
    }
    return c;
  };
  return {
    call(service, name, req, token) {
      const c = client(service) as unknown as Record<
        string,
        (r: Msg, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Msg) => void) => void
      >;
      const md = new grpc.Metadata();
      if (token !== undefined) md.set('token', token);
      return new Promise((resolve, reject) => {
        c[name]!.call(c, req, md, { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r)));
      });
    },
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}

/** `OK <what>` or `<CODE NAME>: <details>`: what a call came to, comparable across servers. */
async function outcome(p: Promise<Msg>, ok: (r: Msg) => string = () => ''): Promise<string> {
  try {
    return `OK ${ok(await p)}`.trim();
  } catch (e) {
    const err = e as grpc.ServiceError;
    return `${grpc.status[err.code]}: ${err.details}`;
  }
}

const rangeOk = (r: Msg): string => (r.kvs as Msg[]).map((kv) => `${String(kv.key)}=${String(kv.value)}`).join(',');

const OLD_REVISION = 'INVALID_ARGUMENT: etcdserver: revision of auth store is old';
const INVALID_TOKEN = 'UNAUTHENTICATED: etcdserver: invalid auth token';

// ---------------------------------------------------------------------------------------------
// JWTs

interface Jwt {
  header: Msg;
  payload: Msg;
  parts: [string, string, string];
}

function decodeJwt(token: string): Jwt {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `a JWT has three parts: ${token}`);
  const [h, p, s] = parts as [string, string, string];
  const json = (x: string): Msg => JSON.parse(Buffer.from(x, 'base64url').toString('utf8')) as Msg;
  return { header: json(h), payload: json(p), parts: [h, p, s] };
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A token signed by the test itself, with node:crypto, as `alg` signs (JOSE ECDSA: r||s). */
function signJwt(alg: Alg, privateKeyPem: string, payload: Msg, header: Msg = { alg, typ: 'JWT' }): string {
  const hp = `${b64(header)}.${b64(payload)}`;
  const key = alg === 'ES256' ? { key: privateKeyPem, dsaEncoding: 'ieee-p1363' as const } : privateKeyPem;
  return `${hp}.${crypto.sign('sha256', Buffer.from(hp), key).toString('base64url')}`;
}

/** The signature checked with node:crypto alone (JOSE ECDSA signatures are r||s, IEEE P1363). */
function signatureValid(token: string, alg: Alg, publicKeyPem: string): boolean {
  const [h, p, s] = decodeJwt(token).parts;
  const key = alg === 'ES256' ? { key: publicKeyPem, dsaEncoding: 'ieee-p1363' as const } : publicKeyPem;
  return crypto.verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
}

function okCtl(who: string, r: RunResult, args: string[]): string {
  assert.equal(r.code, 0, `${who}: etcdctl ${args.join(' ')}: ${withoutClientLogs(r.stderr)}`);
  return r.stdout;
}

async function ctlOk(who: string, endpoint: string, args: string[]): Promise<string> {
  return okCtl(who, await runEtcdctl(endpoint, args), args);
}

const ROOT = ['--user', 'root:pw'];

interface JwtRun {
  steps: Record<string, string>;
  /** Authenticates root again (for the cross-server check at the end). */
  token(): Promise<string>;
  rangeWith(token: string): Promise<string>;
  close(): void;
}

/**
 * The JWT scenario on one server (etcd or etcd-ts, started with `--auth-token jwt,...` and the
 * given ttl): every step's outcome, by label. Asserts the token's form on the way.
 */
async function jwtScenario(
  who: string,
  m: RunningMember,
  alg: Alg,
  keyPems: { pub: string; priv: string },
  ttlSec: number,
): Promise<JwtRun> {
  const publicKeyPem = keyPems.pub;
  const steps: Record<string, string> = {};
  const ctl = async (label: string, args: string[]): Promise<void> => {
    const r = await runEtcdctl(m.endpoint, args);
    steps[label] = `${r.code} ${r.stdout}${withoutClientLogs(r.stderr)}`.trim();
  };
  const c = grpcClient(m.endpoint);
  const step = async (label: string, p: Promise<Msg>, ok?: (r: Msg) => string): Promise<void> => {
    steps[label] = await outcome(p, ok);
  };
  const authenticate = async (): Promise<string> => {
    const r = await c.call('Auth', 'Authenticate', { name: 'root', password: 'pw' });
    return String(r.token);
  };

  await step('bogus token, auth disabled', c.call('KV', 'Range', { key: Buffer.from('k') }, 'bogus'), rangeOk);
  await ctl('user add root', ['user', 'add', 'root:pw']);
  await ctl('auth enable', ['auth', 'enable']);
  await ctl('user get root', [...ROOT, 'user', 'get', 'root']);
  await ctl('root put k v', [...ROOT, 'put', 'k', 'v']);
  await ctl('root get k', [...ROOT, 'get', 'k']);
  await ctl('no user get k', ['get', 'k']);
  await ctl('wrong password', ['--user', 'root:nope', 'get', 'k']);

  await step('authenticate with a wrong password', c.call('Auth', 'Authenticate', { name: 'root', password: 'nope' }));
  const before = Math.floor(Date.now() / 1000);
  const t1 = await authenticate();
  const after = Math.ceil(Date.now() / 1000);
  const j1 = decodeJwt(t1);
  assert.deepEqual(j1.header, { alg, typ: 'JWT' }, `${who}: header`);
  assert.deepEqual(Object.keys(j1.payload).sort(), ['exp', 'revision', 'username'], `${who}: claims ${JSON.stringify(j1.payload)}`);
  assert.equal(j1.payload.username, 'root', who);
  assert.ok(Number.isInteger(j1.payload.revision) && j1.payload.revision > 0, `${who}: revision ${j1.payload.revision}`);
  const exp = j1.payload.exp as number;
  assert.ok(Number.isInteger(exp), `${who}: exp ${exp}`);
  assert.ok(exp >= before + ttlSec - 1 && exp <= after + ttlSec, `${who}: exp ${exp} is ${ttlSec}s after [${before}, ${after}]`);
  assert.ok(signatureValid(t1, alg, publicKeyPem), `${who}: the signature verifies with the public key`);

  await step('range with no token', c.call('KV', 'Range', { key: Buffer.from('k') }), rangeOk);
  await step('range with the token', c.call('KV', 'Range', { key: Buffer.from('k') }, t1), rangeOk);
  await step('put with the token', c.call('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v2') }, t1));
  await step('range after the put', c.call('KV', 'Range', { key: Buffer.from('k') }, t1), rangeOk);

  const [h, , s] = j1.parts;
  const forged: Array<[string, string]> = [
    ['tampered payload (later exp)', `${h}.${b64({ ...j1.payload, exp: exp + 3600 })}.${s}`],
    ['tampered payload (another user)', `${h}.${b64({ ...j1.payload, username: 'admin' })}.${s}`],
    ['signature cut short', t1.slice(0, -4)],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${j1.parts[1]}.`],
    [
      'HS256 keyed with the public key',
      (() => {
        const hp = `${b64({ alg: 'HS256', typ: 'JWT' })}.${j1.parts[1]}`;
        return `${hp}.${crypto.createHmac('sha256', publicKeyPem).update(hp).digest('base64url')}`;
      })(),
    ],
    ['not a JWT', 'abc'],
  ];
  // Signed with the member's own key by the test: JWTs are checked, not looked up.
  const rev = j1.payload.revision as number;
  const now = Math.floor(Date.now() / 1000);
  const sign = (payload: Msg, header?: Msg): string => signJwt(alg, keyPems.priv, payload, header);
  forged.push(
    ['signed by the test', sign({ username: 'root', revision: rev, exp: now + 60 })],
    [
      'signed by the test, claims in another order, a kid',
      sign({ exp: now + 60, username: 'root', revision: rev }, { typ: 'JWT', alg, kid: 'x' }),
    ],
    ['signed by the test, unknown user', sign({ username: 'ghost', revision: rev, exp: now + 60 })],
    ['signed by the test, no exp', sign({ username: 'root', revision: rev })],
    ['signed by the test, exp passed', sign({ username: 'root', revision: rev, exp: now - 5 })],
    ['signed by the test, nbf ahead', sign({ username: 'root', revision: rev, exp: now + 60, nbf: now + 30 })],
    ['signed by the test, exp as a string', sign({ username: 'root', revision: rev, exp: String(now + 60) })],
    ['signed by the test, revision as a string', sign({ username: 'root', revision: String(rev), exp: now + 60 })],
    ['signed by the test, revision 0', sign({ username: 'root', revision: 0, exp: now + 60 })],
    ['signed by the test, revision ahead', sign({ username: 'root', revision: rev + 1, exp: now + 60 })],
    ['signed by the test, no username', sign({ revision: rev, exp: now + 60 })],
    ['signed by the test, header alg none', sign({ username: 'root', revision: rev, exp: now + 60 }, { alg: 'none', typ: 'JWT' })],
  );
  for (const [label, token] of forged) await step(`range, ${label}`, c.call('KV', 'Range', { key: Buffer.from('k') }, token), rangeOk);

  await ctl('role add x', [...ROOT, 'role', 'add', 'x']);
  await step('range with the old token', c.call('KV', 'Range', { key: Buffer.from('k') }, t1), rangeOk);
  await step('put with the old token', c.call('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v3') }, t1));
  await step('user list with the old token', c.call('Auth', 'UserList', {}, t1), (r) => (r.users as string[]).join(','));

  const t2 = await authenticate();
  const j2 = decodeJwt(t2);
  assert.equal(j2.payload.revision, j1.payload.revision + 1, `${who}: role add moved the auth revision by one`);
  assert.ok(signatureValid(t2, alg, publicKeyPem), who);
  const status = await ctlOk(who, m.endpoint, [...ROOT, 'auth', 'status']);
  assert.equal(status, `Authentication Status: true\nAuthRevision: ${j2.payload.revision}\n`, `${who}: the token's revision claim`);
  await step('range with a new token', c.call('KV', 'Range', { key: Buffer.from('k') }, t2), rangeOk);
  await step('user list with a new token', c.call('Auth', 'UserList', {}, t2), (r) => (r.users as string[]).join(','));
  return {
    steps,
    token: authenticate,
    rangeWith: (token) => outcome(c.call('KV', 'Range', { key: Buffer.from('k') }, token), rangeOk),
    close: () => c.close(),
  };
}

async function bothJwt(flag: string): Promise<[RunningMember, RunningMember]> {
  const [real, ours] = await Promise.allSettled([
    startRealEtcd({ extraArgs: [`--auth-token=${flag}`, '--bcrypt-cost=4'] }),
    startMember({ authToken: flag, bcryptCost: 4 }),
  ]);
  if (real.status === 'rejected' || ours.status === 'rejected') {
    if (real.status === 'fulfilled') await real.value.stop();
    if (ours.status === 'fulfilled') await ours.value.stop();
    throw real.status === 'rejected' ? real.reason : (ours as PromiseRejectedResult).reason;
  }
  return [real.value, ours.value];
}

test('JWT tokens: claims, signature, use over gRPC, old revision, forgeries, as etcd 3.6 does', { timeout: 120_000 }, async (t) => {
  const keys = makeKeyFiles();
  try {
    for (const [alg, pub, priv, ttl] of [
      ['RS256', keys.rsaPub, keys.rsaPriv, ''],
      ['ES256', keys.ecPub, keys.ecPriv, ',ttl=10s'],
    ] as const) {
      await t.test(alg, async () => {
        const ttlSec = ttl === '' ? 300 : 10;
        const flag = `jwt,pub-key=${pub},priv-key=${priv},sign-method=${alg}${ttl}`;
        const [real, ours] = await bothJwt(flag);
        const runs: JwtRun[] = [];
        try {
          const pems = { pub: fs.readFileSync(pub, 'utf8'), priv: fs.readFileSync(priv, 'utf8') };
          runs.push(await jwtScenario('etcd', real, alg, pems, ttlSec));
          runs.push(await jwtScenario('etcd-ts', ours, alg, pems, ttlSec));
          const [r, o] = runs as [JwtRun, JwtRun];
          if (process.env.VERBOSE) t.diagnostic(JSON.stringify(r.steps, null, 1));
          assert.deepEqual(o.steps, r.steps, 'etcd-ts vs etcd');
          // What the steps must be (etcd's answers, so that a change of etcd shows here too).
          assert.equal(r.steps['range with the token'], 'OK k=v');
          assert.equal(r.steps['range with the old token'], OLD_REVISION);
          assert.equal(r.steps['put with the old token'], OLD_REVISION);
          assert.equal(r.steps['range, tampered payload (later exp)'], INVALID_TOKEN);
          assert.equal(r.steps['range, alg none'], INVALID_TOKEN);
          assert.equal(r.steps['range, HS256 keyed with the public key'], INVALID_TOKEN);
          assert.equal(r.steps['range with a new token'], 'OK k=v2');
          // Same keys, same auth revision: each accepts the other's tokens.
          assert.equal(await o.rangeWith(await r.token()), 'OK k=v2', "etcd-ts accepts etcd's token");
          assert.equal(await r.rangeWith(await o.token()), 'OK k=v2', "etcd accepts etcd-ts's token");
        } finally {
          for (const x of runs) x.close();
          await Promise.all([real.stop(), ours.stop()]);
        }
      });
    }

    await t.test('a verify-only member (pub-key only): no tokens issued, tokens signed elsewhere accepted', async () => {
      const [real, ours] = await bothJwt(`jwt,pub-key=${keys.rsaPub},sign-method=RS256`);
      const clients: Grpc[] = [];
      try {
        const priv = fs.readFileSync(keys.rsaPriv, 'utf8');
        const seen = await Promise.all(
          [real, ours].map(async (m, i) => {
            const who = ['etcd', 'etcd-ts'][i]!;
            const row: Record<string, string> = {};
            await ctlOk(who, m.endpoint, ['user', 'add', 'root:pw']);
            await ctlOk(who, m.endpoint, ['auth', 'enable']);
            const r = await runEtcdctl(m.endpoint, [...ROOT, 'put', 'k', 'v']);
            row['etcdctl --user root put'] = `${r.code} ${r.stdout}${withoutClientLogs(r.stderr)}`.trim();
            const c = grpcClient(m.endpoint);
            clients.push(c);
            row['authenticate'] = await outcome(c.call('Auth', 'Authenticate', { name: 'root', password: 'pw' }));
            // user add, role add root, grant, enable: auth revision 4 (both servers, checked by the equality below).
            const token = signJwt('RS256', priv, { username: 'root', revision: 4, exp: Math.floor(Date.now() / 1000) + 60 });
            row['put with a token signed elsewhere'] = await outcome(
              c.call('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v') }, token),
            );
            row['range with it'] = await outcome(c.call('KV', 'Range', { key: Buffer.from('k') }, token), rangeOk);
            return row;
          }),
        );
        if (process.env.VERBOSE) t.diagnostic(JSON.stringify(seen[0], null, 1));
        assert.equal(seen[0]!['authenticate'], 'UNKNOWN: auth: token signing attempted with verify-only key');
        assert.equal(seen[0]!['range with it'], 'OK k=v');
        assert.deepEqual(seen[1], seen[0], 'etcd-ts vs etcd');
      } finally {
        for (const c of clients) c.close();
        await Promise.all([real.stop(), ours.stop()]);
      }
    });

    await t.test('an expired token', async () => {
      const flag = `jwt,pub-key=${keys.rsaPub},priv-key=${keys.rsaPriv},sign-method=RS256,ttl=3s`;
      const [real, ours] = await bothJwt(flag);
      const clients: Grpc[] = [];
      try {
        const seen = await Promise.all(
          [real, ours].map(async (m, i) => {
            const who = ['etcd', 'etcd-ts'][i]!;
            await ctlOk(who, m.endpoint, ['user', 'add', 'root:pw']);
            await ctlOk(who, m.endpoint, ['auth', 'enable']);
            await ctlOk(who, m.endpoint, [...ROOT, 'put', 'k', 'v']);
            const c = grpcClient(m.endpoint);
            clients.push(c);
            const token = String((await c.call('Auth', 'Authenticate', { name: 'root', password: 'pw' })).token);
            const exp = decodeJwt(token).payload.exp as number;
            const fresh = await outcome(c.call('KV', 'Range', { key: Buffer.from('k') }, token), rangeOk);
            await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 + 150 - Date.now())));
            const expired = await outcome(c.call('KV', 'Range', { key: Buffer.from('k') }, token), rangeOk);
            return [fresh, expired];
          }),
        );
        assert.deepEqual(seen[0], ['OK k=v', INVALID_TOKEN], 'etcd');
        assert.deepEqual(seen[1], seen[0], 'etcd-ts vs etcd');
      } finally {
        for (const c of clients) c.close();
        await Promise.all([real.stop(), ours.stop()]);
      }
    });
  } finally {
    fs.rmSync(keys.dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Bad --auth-token values

/** The fatal line a refused start ends with: its msg and error. */
function fatalLine(stderr: string): { msg: unknown; error: unknown } | undefined {
  const o = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Msg)
    .find((x) => x.level === 'fatal');
  return o === undefined ? undefined : { msg: o.msg, error: o.error };
}

test('bad --auth-token values: refused at start with the exit code and fatal line of etcd 3.6', { timeout: 120_000 }, async (t) => {
  const keys = makeKeyFiles();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-tokens-bad-'));
  const cases = [
    'bogus',
    'simple,x',
    'jwt,sign-method=RS256',
    'jwt,pub-key=/nonexistent,sign-method=RS256',
    `jwt,sign-method=XX1,pub-key=${keys.rsaPub}`,
    `jwt,pub-key=${keys.otherRsaPub},priv-key=${keys.rsaPriv},sign-method=RS256`,
    `jwt,pub-key=${keys.rsaPub},priv-key=${keys.rsaPriv},sign-method=RS256,ttl=soon`,
    `jwt,pub-key=${keys.rsaPub},priv-key=${keys.rsaPriv}`,
    'jwt,sign-method=HS256',
    `jwt,pub-key=${keys.ecPub},priv-key=${keys.ecPriv},sign-method=RS256`,
    `jwt,pub-key=${keys.rsaPub},sign-method=ES256`,
    `jwt,pub-key=${keys.junk},sign-method=RS256`,
  ];
  try {
    let n = 0;
    const args = async (): Promise<string[]> => {
      const [cp, pp] = [await freePort(), await freePort()];
      return [
        `--data-dir=${path.join(root, `d${n++}`)}`,
        `--listen-client-urls=http://127.0.0.1:${cp}`,
        `--advertise-client-urls=http://127.0.0.1:${cp}`,
        `--listen-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-cluster=default=http://127.0.0.1:${pp}`,
      ];
    };
    const theirs: Msg[] = [];
    const ours: Msg[] = [];
    for (const flag of cases) {
      const label = flag.split(keys.dir).join('<keys>');
      const [e, o] = await Promise.all([
        (async () => run(toolPath('etcd'), [...(await args()), `--auth-token=${flag}`], { timeoutMs: 20_000 }))(),
        (async () => runEtcdTs([...(await args()), `--auth-token=${flag}`]))(),
      ]);
      theirs.push({ flag: label, code: e.code, ...fatalLine(e.stderr) });
      ours.push({ flag: label, code: o.code, ...fatalLine(o.stderr) });
      assert.equal(e.code, 1, `etcd refuses ${label}: ${e.stderr.slice(-400)}`);
      assert.equal(fatalLine(e.stderr)?.msg, 'discovery failed', label);
    }
    if (process.env.VERBOSE) t.diagnostic(JSON.stringify(theirs, null, 1));
    assert.deepEqual(ours, theirs, 'etcd-ts vs etcd (exit code, fatal msg and error)');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(keys.dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// The client certificate's common name as the user

interface TlsServer {
  url: string;
  stop(): Promise<string>;
}

const SERVERS: Array<[string, () => [string, string[]]]> = [
  ['etcd', () => [toolPath('etcd'), []]],
  ['etcd-ts', () => [process.execPath, [etcdTsBin()]]],
];

async function startTls(binary: [string, string[]], certs: CertFiles): Promise<TlsServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-tokens-tls-'));
  const [cp, pp] = [await freePort(), await freePort()];
  const url = `https://127.0.0.1:${cp}`;
  const child = spawn(
    binary[0],
    [
      ...binary[1],
      '--name=tls',
      `--data-dir=${path.join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${pp}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
      `--initial-cluster=tls=http://127.0.0.1:${pp}`,
      `--cert-file=${certs.serverCert}`,
      `--key-file=${certs.serverKey}`,
      `--trusted-ca-file=${certs.ca}`,
      '--client-cert-auth',
      '--bcrypt-cost=4',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const done = waitForChild(child, 300_000);
  const stop = async (): Promise<string> => {
    child.kill('SIGTERM');
    const r = await done;
    fs.rmSync(dir, { recursive: true, force: true });
    return r.stderr;
  };
  const deadline = Date.now() + 30_000;
  while (!(await healthy(`${url}/health`, certs))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      const log = await stop();
      throw new Error(`${binary.join(' ')} did not become healthy at ${url}:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}

function healthy(url: string, certs: CertFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      url,
      { ca: fs.readFileSync(certs.ca), cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey), timeout: 2000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

test('--client-cert-auth: the certificate CN is the user when no token is sent; a token wins over it', { timeout: 120_000 }, async (t) => {
  const certs = await makeCertFiles();
  const root = { cert: certs.clientCert, key: certs.clientKey };
  const intruder = { cert: certs.intruderCert, key: certs.intruderKey };
  const rows: Array<Record<string, string>> = [];
  try {
    for (const [who, bin] of SERVERS) {
      const s = await startTls(bin(), certs);
      const row: Record<string, string> = { server: who };
      let c: Grpc | undefined;
      try {
        const ctl = async (label: string, id: { cert: string; key: string }, args: string[]): Promise<void> => {
          const r = await runEtcdctl(s.url, [
            `--cacert=${certs.ca}`,
            `--cert=${id.cert}`,
            `--key=${id.key}`,
            '--command-timeout=5s',
            ...args,
          ]);
          row[label] = `${r.code} ${r.stdout}${withoutClientLogs(r.stderr)}`.trim();
        };
        await ctl('user add root', root, ['user', 'add', 'root:pw']);
        await ctl('auth enable (CN root)', root, ['auth', 'enable']);
        await ctl('CN root: put a 1', root, ['put', 'a', '1']);
        await ctl('CN root: get a', root, ['get', 'a']);
        await ctl('CN root: user list (admin)', root, ['user', 'list']);
        await ctl('CN root: auth status', root, ['auth', 'status']);
        await ctl('CN intruder: put a 2', intruder, ['put', 'a', '2']);
        await ctl('CN intruder: get a', intruder, ['get', 'a']);
        await ctl('CN intruder: user list', intruder, ['user', 'list']);
        await ctl('CN intruder, --user root: put a 2', intruder, ['--user', 'root:pw', 'put', 'a', '2']);
        await ctl('CN root: get a after', root, ['get', 'a']);
        await ctl('CN root, wrong password', root, ['--user', 'root:nope', 'get', 'a']);
        const creds = grpc.credentials.createSsl(
          fs.readFileSync(certs.ca),
          fs.readFileSync(certs.clientKey),
          fs.readFileSync(certs.clientCert),
        );
        c = grpcClient(s.url.replace(/^https:\/\//, ''), creds);
        row['gRPC, CN root, no token'] = await outcome(c.call('KV', 'Range', { key: Buffer.from('a') }), rangeOk);
        row['gRPC, CN root, a bad token'] = await outcome(c.call('KV', 'Range', { key: Buffer.from('a') }, 'bogus.7'), rangeOk);
      } finally {
        c?.close();
        await s.stop();
      }
      rows.push(row);
    }
    const [theirs, ours] = rows.map(({ server: _, ...rest }) => rest) as [Record<string, string>, Record<string, string>];
    if (process.env.VERBOSE) t.diagnostic(JSON.stringify(theirs, null, 1));
    assert.equal(theirs['CN root: put a 1'], '0 OK');
    assert.equal(theirs['CN root: get a'], '0 a\n1');
    assert.equal(theirs['CN intruder: put a 2'], '1 Error: etcdserver: permission denied');
    assert.equal(theirs['CN intruder, --user root: put a 2'], '0 OK');
    assert.equal(theirs['gRPC, CN root, a bad token'], INVALID_TOKEN);
    assert.deepEqual(ours, theirs, 'etcd-ts vs etcd');
  } finally {
    fs.rmSync(certs.dir, { recursive: true, force: true });
  }
});
