/**
 * Checking passwords, for POST /login and every UIA m.login.password stage. Each check first counts against the
 * login rate limit per account and per client address (given back when the password was right, so only wrong
 * guesses add up), and every scrypt job goes through one FIFO gate of `sessions.password_hash_concurrency` slots.
 * https://spec.matrix.org/v1.19/client-server-api/#rate-limiting
 */
import type { AccountStore } from '../../storage/index.js';
import { createFifoGate } from './fifo-gate.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './secrets.js';
import type { AttemptLimiter } from './types.js';

/** Password hashing behind the gate. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

export function createPasswordHasher(concurrency: number): PasswordHasher {
  const gate = createFifoGate(concurrency);
  return {
    hash: (password) => gate.run(() => hashPassword(password)),
    verify: (password, stored) => gate.run(() => verifyPassword(password, stored)),
  };
}

/** An AttemptLimiter that never refuses (unit tests, or a composition without a rate limiter). */
export const UNLIMITED_ATTEMPTS: AttemptLimiter = { take: async () => {}, refund: async () => {} };

export interface PasswordAttempt {
  userId: string;
  password: string;
  /** The client's address, or null when unknown (then only the account is counted). */
  ip: string | null;
}

export interface PasswordChecker {
  /** True when the password is right; throws 429 `M_LIMIT_EXCEEDED` (from the limiter) before hashing when over. */
  check(attempt: PasswordAttempt): Promise<boolean>;
}

export function createPasswordChecker(store: AccountStore, hasher: PasswordHasher, limiter: AttemptLimiter): PasswordChecker {
  return {
    async check(attempt) {
      // NOTSPEC: the spec leaves rate limits to the server; these keys are shared by /login and UIA.
      const keys = [`account:${attempt.userId}`, ...(attempt.ip !== null ? [`password-ip:${attempt.ip}`] : [])];
      for (const key of keys) await limiter.take(key);
      const matches = await passwordMatches(store, hasher, attempt.userId, attempt.password);
      if (matches) for (const key of keys) await limiter.refund(key);
      return matches;
    },
  };
}

/** Checks a password, spending the same time when the user or password hash does not exist. */
async function passwordMatches(store: AccountStore, hasher: PasswordHasher, userId: string, password: string): Promise<boolean> {
  const user = await store.getUser(userId);
  const hash = user?.passwordHash ?? (await decoyPasswordHash());
  const matches = await hasher.verify(password, hash);
  return matches && user?.passwordHash != null;
}
