// The Go clientv3 lease tests (test/go/lease, built as .tools/bin/lease.test by
// test/tools/install.sh) against an in-process etcd-ts member with leases wired (through the
// temporary shim in wired-member.ts until the member wires them itself).
import { goTestAgainstMember } from '../helpers/go-test-member';

goTestAgainstMember('lease.test', 'Go clientv3 lease tests pass against etcd-ts');
