/** Auth as a fresh member has it (disabled, no tokens), for stand-in members in tests. */
import { AuthStore } from '../../src/auth';
import { MemoryEngine } from '../../src/mvcc';
import { MemberAuth } from '../../src/server/engine/auth/member-auth';

export function disabledAuth(): MemberAuth {
  return new MemberAuth({
    store: new AuthStore(new MemoryEngine()),
    tokens: { type: 'none' },
    bcryptCost: 4,
    clientCertAuth: false,
    now: () => 0,
    appliedIndex: () => 0,
  });
}
