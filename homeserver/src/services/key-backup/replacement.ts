/**
 * Which key the server keeps when a client backs up a session it already holds.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 */

/** The key metadata the replacement rules compare. */
export interface KeyRank {
  isVerified: boolean;
  firstMessageIndex: number;
  forwardedCount: number;
}

/**
 * True when `uploaded` replaces `stored`. The spec's rules, in its order:
 * 1. different `is_verified`: keep the verified key;
 * 2. same `is_verified`: keep the lower `first_message_index` (it decrypts more of the session);
 * 3. both equal: keep the lower `forwarded_count`.
 * When all three are equal the spec names no winner; the stored key stays, so a repeated upload of the same
 * session changes nothing and does not move the etag (which tells other clients the backup changed).
 */
export function replacesStoredKey(stored: KeyRank, uploaded: KeyRank): boolean {
  if (stored.isVerified !== uploaded.isVerified) return uploaded.isVerified;
  if (stored.firstMessageIndex !== uploaded.firstMessageIndex) return uploaded.firstMessageIndex < stored.firstMessageIndex;
  return uploaded.forwardedCount < stored.forwardedCount;
}
