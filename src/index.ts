/** The embeddable API: build, start and stop an etcd-ts member in-process. */
export { createServer, startServer, EtcdServer, type ServerOptions } from './server/server';
export { defaultConfig, validateConfig, type Config } from './server/config/config';
export { ETCD_VERSION } from './version';
