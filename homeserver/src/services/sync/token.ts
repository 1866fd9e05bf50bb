/**
 * The sync token (`next_batch` / `since`): one position per stream, opaque to clients.
 *
 * Format: `s` followed by the positions in {@link SYNC_STREAMS} order, joined by `_`, e.g. `s120_4_0_9_3_0_0_0`.
 * Streams are only ever appended to that list: a token written before a stream existed simply has fewer
 * positions, and the missing ones read as 0 (the client has seen nothing of that stream). Positions past the
 * ones we know (a token from a newer version) are ignored.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import type { StreamName } from '../../storage/index.js';
import { MatrixError } from '../../matrix-error.js';

/** Every stream a sync token tracks, in token order. Append only: never reorder or remove. */
export const SYNC_STREAMS = [
  'events',
  'receipts',
  'typing',
  'presence',
  'account_data',
  'to_device',
  'device_lists',
  'key_counts',
] as const satisfies readonly StreamName[];

export type SyncStream = (typeof SYNC_STREAMS)[number];

/** A position on every stream. */
export type SyncToken = Readonly<Record<SyncStream, number>>;

const PREFIX = 's';
const SEPARATOR = '_';
/** Longest token we parse: far more than 8 positions of 2^53 need, small enough to never cost anything. */
const MAX_TOKEN_LENGTH = 512;
const POSITION = /^(0|[1-9][0-9]{0,15})$/;

/** The token at the beginning of time. */
export const ZERO_TOKEN: SyncToken = Object.fromEntries(SYNC_STREAMS.map((stream) => [stream, 0])) as SyncToken;

export function formatSyncToken(token: SyncToken): string {
  return PREFIX + SYNC_STREAMS.map((stream) => String(token[stream])).join(SEPARATOR);
}

/**
 * Parses a `since` token. Anything that is not a token we wrote gives 400 `M_INVALID_PARAM`, never a 500.
 */
export function parseSyncToken(text: string): SyncToken {
  if (text.length === 0 || text.length > MAX_TOKEN_LENGTH || !text.startsWith(PREFIX)) throw invalidToken();
  const parts = text.slice(PREFIX.length).split(SEPARATOR);
  const token: Record<string, number> = { ...ZERO_TOKEN };
  for (const [index, part] of parts.entries()) {
    if (!POSITION.test(part)) throw invalidToken();
    const position = Number(part);
    if (!Number.isSafeInteger(position)) throw invalidToken();
    const stream = SYNC_STREAMS[index];
    if (stream !== undefined) token[stream] = position;
  }
  return token as SyncToken;
}

/** The greater of each position: where a client is after seeing both. */
export function maxToken(a: SyncToken, b: SyncToken): SyncToken {
  return Object.fromEntries(SYNC_STREAMS.map((stream) => [stream, Math.max(a[stream], b[stream])])) as SyncToken;
}

/** Each position of `token` capped by `limit` (a token from before a database reset must not run ahead). */
export function clampToken(token: SyncToken, limit: SyncToken): SyncToken {
  return Object.fromEntries(SYNC_STREAMS.map((stream) => [stream, Math.min(token[stream], limit[stream])])) as SyncToken;
}

/** True when some stream of `after` is past `before`. */
export function tokenAdvanced(before: SyncToken, after: SyncToken): boolean {
  return SYNC_STREAMS.some((stream) => after[stream] > before[stream]);
}

function invalidToken(): MatrixError {
  return new MatrixError(400, 'M_INVALID_PARAM', 'Invalid sync token in since');
}
