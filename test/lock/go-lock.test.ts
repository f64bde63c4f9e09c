// The Go v3lock/v3election tests (test/go/lock, built as .tools/bin/lock.test) against an
// in-process etcd-ts member with leases, Lock and Election wired (through the temporary shim in
// wired-member.ts until the server wires them itself).
import { goTestAgainstMember } from '../helpers/go-test-member';

goTestAgainstMember('lock.test', 'Go v3lock/v3election tests pass against etcd-ts');
