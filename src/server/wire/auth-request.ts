/**
 * Auth management requests as they travel in the Raft log (RequestKind.Auth): JSON, with key
 * bytes in base64. Passwords never enter the log: UserAdd and UserChangePassword carry the bcrypt
 * hash made by the proposing member, Authenticate carries only the user name and the random
 * prefix of the simple token (etcd's InternalAuthenticateRequest).
 */
import type { Permission, PermType } from '../../auth';

export type AuthRequest =
  | { op: 'enable' }
  | { op: 'disable' }
  | { op: 'status' }
  | { op: 'authenticate'; name: string; prefix: string }
  | { op: 'userAdd'; name: string; hash: string; noPassword: boolean }
  | { op: 'userDelete'; name: string }
  | { op: 'userChangePassword'; name: string; hash: string }
  | { op: 'userGrantRole'; user: string; role: string }
  | { op: 'userRevokeRole'; name: string; role: string }
  | { op: 'userGet'; name: string }
  | { op: 'userList' }
  | { op: 'roleAdd'; name: string }
  | { op: 'roleGet'; role: string }
  | { op: 'roleList' }
  | { op: 'roleDelete'; role: string }
  | { op: 'roleGrantPermission'; name: string; perm?: { permType: PermType; key: string; rangeEnd: string } }
  | { op: 'roleRevokePermission'; role: string; key: string; rangeEnd: string };

export function encodeAuthRequest(r: AuthRequest): Buffer {
  return Buffer.from(JSON.stringify(r), 'utf8');
}

export function decodeAuthRequest(payload: Buffer): AuthRequest {
  return JSON.parse(payload.toString('utf8')) as AuthRequest;
}

/** Key bytes (latin1 in the store) to and from the log's base64. */
export const keyToLog = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('base64');
export const keyFromLog = (b64: string): string => Buffer.from(b64, 'base64').toString('latin1');

export function permFromLog(p: { permType: PermType; key: string; rangeEnd: string }): Permission {
  return { permType: p.permType, key: keyFromLog(p.key), rangeEnd: keyFromLog(p.rangeEnd) };
}
