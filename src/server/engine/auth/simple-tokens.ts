/**
 * etcd's simple tokens (`server/auth/simple_token.go`): `<16 random letters>.<raft index>`,
 * assigned when an Authenticate entry is applied, on every member (so any member accepts it),
 * valid for `ttlMs` after their last use, dropped when the user is deleted or changes password,
 * all dropped when auth is disabled. The clock is injected.
 */
import { randomInt } from 'node:crypto';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const PREFIX_LENGTH = 16;

interface Held {
  user: string;
  expiresAt: number;
}

export class SimpleTokens {
  private readonly tokens = new Map<string, Held>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private enabled = false;

  constructor(ttlMs: number, now: () => number) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** The random part, chosen by the member that proposes the Authenticate. */
  static genPrefix(): string {
    let s = '';
    for (let i = 0; i < PREFIX_LENGTH; i++) s += LETTERS[randomInt(LETTERS.length)];
    return s;
  }

  /** The index a token was assigned at, or undefined if it is not a simple token. */
  static indexOf(token: string): number | undefined {
    const parts = token.split('.');
    if (parts.length !== 2 || !/^[0-9]+$/.test(parts[1]!)) return undefined;
    return Number(parts[1]);
  }

  enable(): void {
    this.enabled = true;
  }

  disable(): void {
    this.enabled = false;
    this.tokens.clear();
  }

  assign(user: string, prefix: string, index: number): string {
    const token = `${prefix}.${index}`;
    if (this.enabled) {
      this.sweep();
      this.tokens.set(token, { user, expiresAt: this.now() + this.ttlMs });
    }
    return token;
  }

  /** The token's user, extending its life; undefined when unknown or expired. */
  userOf(token: string): string | undefined {
    const h = this.tokens.get(token);
    if (h === undefined) return undefined;
    const now = this.now();
    if (now >= h.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    h.expiresAt = now + this.ttlMs;
    return h.user;
  }

  invalidateUser(user: string): void {
    for (const [t, h] of this.tokens) if (h.user === user) this.tokens.delete(t);
  }

  /** Drops expired tokens (called as tokens are assigned, so the map stays bounded). */
  sweep(): void {
    const now = this.now();
    for (const [t, h] of this.tokens) if (now >= h.expiresAt) this.tokens.delete(t);
  }

  get size(): number {
    return this.tokens.size;
  }
}
