/**
 * Access-token lookups cached for a short time: every client request authenticates, and on SQLite's single
 * connection even a one-row read queues behind writes.
 *
 * Staleness bound: a token revoked by any process (logout, device deletion, deactivation, refresh, password
 * change) is forgotten here when the `access-tokens` invalidation arrives over the notifier: at once in this
 * process, as fast as Redis delivers in the others. Only if that message is lost (Redis down) does a revoked token
 * keep working here, for at most {@link TOKEN_CACHE_TTL_MS}. Expiry (`expiresTs`) is checked on every use.
 */
import type { AccessTokenOwner } from '../../storage/index.js';

/** How long a looked-up token is trusted without asking the database again. */
export const TOKEN_CACHE_TTL_MS = 10_000;
/** Tokens remembered (least recently used go first). */
const MAX_TOKENS = 10_000;

export interface TokenCache {
  /** The cached owner of a token hash, if looked up less than the TTL ago. */
  get(tokenHash: string, now: number): AccessTokenOwner | undefined;
  /** A mark to take before reading a token from the database, for {@link put}. */
  epoch(): number;
  /** Caches a token read from the database, unless a revocation happened since `epoch` (the read may predate it). */
  put(token: AccessTokenOwner, now: number, epoch: number): void;
  /** Forgets every cached token of `userId` (call after revoking any of them). */
  forgetUser(userId: string): void;
}

export function createTokenCache(): TokenCache {
  const entries = new Map<string, { token: AccessTokenOwner; cachedAt: number }>();
  let revocations = 0;
  return {
    get(tokenHash, now) {
      const entry = entries.get(tokenHash);
      if (entry === undefined) return undefined;
      entries.delete(tokenHash);
      if (now - entry.cachedAt >= TOKEN_CACHE_TTL_MS || now < entry.cachedAt) return undefined;
      entries.set(tokenHash, entry);
      return entry.token;
    },
    epoch: () => revocations,
    put(token, now, epoch) {
      if (epoch !== revocations) return;
      entries.delete(token.tokenHash);
      entries.set(token.tokenHash, { token, cachedAt: now });
      while (entries.size > MAX_TOKENS) entries.delete(entries.keys().next().value as string);
    },
    forgetUser(userId) {
      revocations += 1;
      for (const [hash, entry] of entries) if (entry.token.userId === userId) entries.delete(hash);
    },
  };
}
