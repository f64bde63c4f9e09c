export { type LockHost } from './host';
export { lockService } from './lock-service';
export { electionService } from './election-service';
export { KvOps, prefixEnd } from './kv-ops';
