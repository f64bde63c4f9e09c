import * as net from 'node:net';

/** Ports handed out by this process, so two concurrent freePort() calls never return the same one. */
const handedOut = new Set<number>();

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('freePort: unexpected server address'));
        return;
      }
      const port = addr.port;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 by the kernel, then released). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await probe();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: could not find an unused port');
}
