/**
 * The auth model (etcd `api/authpb/auth.proto`): users with bcrypt password hashes and granted
 * roles, roles with key-range permissions. Keys and range ends are latin1 strings of the key
 * bytes, so JavaScript string order is byte order.
 */

export type PermType = 'READ' | 'WRITE' | 'READWRITE';

export interface Permission {
  permType: PermType;
  /** The first key (latin1 bytes). */
  key: string;
  /** '' for the single key, '\0' for every key from `key` on, else the exclusive end. */
  rangeEnd: string;
}

export interface User {
  name: string;
  /** The bcrypt hash ('' for a user created with no password). */
  password: string;
  /** Granted role names, sorted. */
  roles: string[];
  noPassword: boolean;
}

export interface Role {
  name: string;
  /** Sorted by key. */
  perms: Permission[];
}

/**
 * Who sends a request, as etcd's AuthInfo: the user name and the auth revision the credential
 * was issued at (0 means no user).
 */
export interface AuthInfo {
  user: string;
  revision: number;
}

export const ROOT_USER = 'root';
export const ROOT_ROLE = 'root';

/** The permission etcd reports for the root role: every key, read and write. */
export const ROOT_PERMISSION: Permission = { permType: 'READWRITE', key: '', rangeEnd: '\0' };

/** No user: what a request without a token or certificate carries. */
export const NO_USER: AuthInfo = { user: '', revision: 0 };
