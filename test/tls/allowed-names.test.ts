/**
 * --peer-cert-allowed-cn and --peer-cert-allowed-hostname as etcd checks them: the verified
 * certificate of the other side must carry an allowed common name, or be valid for an allowed
 * host name; both flags together fail the start with etcd 3.6's text (compared with etcd).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { makeCert } from '../../src/server/tls/x509';
import { allowedNamesRefusal } from '../../src/server/tls/allowed-names';
import { NO_TLS } from '../../src/server/config/tls';
import { makeCertFiles } from '../helpers/certs';
import { freePort } from '../helpers/ports';
import { runEtcdTs } from '../helpers/process-member';
import { run, toolPath, startError } from '../helpers/tools';

/** The certificate a TLS server with `cert` presents, as Node hands it to a verifier. */
async function presented(certPem: string, keyPem: string): Promise<tls.PeerCertificate> {
  const server = tls.createServer({ cert: certPem, key: keyPem });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate());
        s.end();
      });
      s.on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('allowed common names and host names decide on the certificate presented', async () => {
  const made = await makeCert({
    subject: 'CN=member-a',
    hosts: ['member-a.example', '10.0.0.1'],
    serverAuth: true,
    notAfter: new Date(Date.now() + 864e5),
  });
  const cert = await presented(made.certPem, made.keyPem);
  const refused = 'client certificate authentication failed';
  assert.equal(allowedNamesRefusal({ ...NO_TLS, allowedCns: ['member-a'] }, cert), undefined);
  assert.equal(allowedNamesRefusal({ ...NO_TLS, allowedCns: ['member-b', 'member-c'] }, cert), refused);
  assert.equal(allowedNamesRefusal({ ...NO_TLS, allowedHostnames: ['member-a.example'] }, cert), undefined);
  assert.equal(allowedNamesRefusal({ ...NO_TLS, allowedHostnames: ['10.0.0.1'] }, cert), undefined);
  assert.equal(allowedNamesRefusal({ ...NO_TLS, allowedHostnames: ['member-b.example'] }, cert), refused);
  assert.equal(allowedNamesRefusal(NO_TLS, cert), undefined, 'no names: no check');
});

test("--peer-cert-allowed-cn with --peer-cert-allowed-hostname: etcd's error, exit 1", { timeout: 60_000 }, async () => {
  const certs = await makeCertFiles();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'allowed-names-'));
  const args = async (d: string): Promise<string[]> => {
    const pp = await freePort();
    return [
      `--data-dir=${path.join(root, d)}`,
      `--listen-client-urls=http://127.0.0.1:${await freePort()}`,
      `--advertise-client-urls=http://127.0.0.1:${await freePort()}`,
      `--listen-peer-urls=https://127.0.0.1:${pp}`,
      `--initial-advertise-peer-urls=https://127.0.0.1:${pp}`,
      `--initial-cluster=default=https://127.0.0.1:${pp}`,
      `--peer-cert-file=${certs.serverCert}`,
      `--peer-key-file=${certs.serverKey}`,
      '--peer-cert-allowed-cn=a,b',
      '--peer-cert-allowed-hostname=h.example',
    ];
  };
  const etcd = await run(toolPath('etcd'), await args('e'), { timeoutMs: 20_000 });
  const ts = await runEtcdTs(await args('t'));
  assert.equal(typeof startError(etcd.stderr), 'string', etcd.stderr.slice(-500));
  assert.equal(ts.code, 1);
  assert.equal(startError(ts.stderr), startError(etcd.stderr));
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(certs.dir, { recursive: true, force: true });
});
