/**
 * Batched key claims for {@link E2eeStore.claimKeys}: one SELECT picks the oldest one-time key of every wanted
 * (user, device, algorithm), one DELETE … RETURNING takes them (SQLite ≥ 3.35 and PostgreSQL both support it), and
 * the claims left without a one-time key get their fallback key with one SELECT and one UPDATE.
 */
import type { JsonObject } from '@parley/federation';
import type { ClaimedKey, KeyClaim } from '../e2ee.js';
import { deleteReturning, type SqlContext } from './dialect.js';

const ONE_TIME_KEYS = 'e2e_one_time_keys';
const FALLBACK_KEYS = 'e2e_fallback_keys';

/** How often the claims that lost a key to a concurrent claim pick again. */
const CLAIM_ATTEMPTS = 20;

const GROUP = ['user_id', 'device_id', 'algorithm'] as const;

interface ClaimRow {
  user_id: string;
  device_id: string;
  algorithm: string;
  key_id: string;
  key_json: string;
}

function groupKey(row: { user_id: string; device_id: string; algorithm: string }): string {
  return JSON.stringify([row.user_id, row.device_id, row.algorithm]);
}

function claimKey(claim: KeyClaim): string {
  return JSON.stringify([claim.userId, claim.deviceId, claim.algorithm]);
}

function claimed(row: ClaimRow): ClaimedKey {
  const key = JSON.parse(row.key_json) as JsonObject | string;
  return { userId: row.user_id, deviceId: row.device_id, algorithm: row.algorithm, key: { algorithm: row.algorithm, keyId: row.key_id, key } };
}

const tuples = (claims: readonly KeyClaim[]): string[][] => claims.map((claim) => [claim.userId, claim.deviceId, claim.algorithm]);

/** The oldest one-time key of each claim's group (none for groups without keys). */
async function oldestOneTimeKeys(db: SqlContext['db'], claims: readonly KeyClaim[]): Promise<ClaimRow[]> {
  const ranked = db(ONE_TIME_KEYS)
    .select('user_id', 'device_id', 'algorithm', 'key_id', 'key_json')
    .rowNumber('rank', ['added_ts', 'key_id'], [...GROUP])
    .whereIn([...GROUP], tuples(claims));
  return db.select('user_id', 'device_id', 'algorithm', 'key_id', 'key_json').from(ranked.as('ranked')).where('rank', 1);
}

/**
 * Claims one-time keys; returns the claims, and those left with none. Only the claim whose DELETE removed a row owns
 * that key, so concurrent claims (even in other processes) never share one; a loser picks again.
 */
async function claimOneTimeKeys(ctx: SqlContext, claims: readonly KeyClaim[]): Promise<{ won: ClaimedKey[]; without: KeyClaim[] }> {
  const won: ClaimedKey[] = [];
  const without: KeyClaim[] = [];
  let pending = [...claims];
  for (let attempt = 0; attempt < CLAIM_ATTEMPTS && pending.length > 0; attempt++) {
    const candidates = await oldestOneTimeKeys(ctx.db, pending);
    const found = new Set(candidates.map(groupKey));
    without.push(...pending.filter((claim) => !found.has(claimKey(claim))));
    if (candidates.length === 0) return { won, without };
    const query = ctx.db(ONE_TIME_KEYS).whereIn(
      ['user_id', 'device_id', 'algorithm', 'key_id'],
      candidates.map((row) => [row.user_id, row.device_id, row.algorithm, row.key_id]),
    );
    const taken = await deleteReturning<ClaimRow>(ctx, query, ['user_id', 'device_id', 'algorithm', 'key_id', 'key_json']);
    won.push(...taken.map(claimed));
    const done = new Set(taken.map(groupKey));
    pending = pending.filter((claim) => found.has(claimKey(claim)) && !done.has(claimKey(claim)));
  }
  return { won, without };
}

/** The fallback keys of `claims`, marked used (they stay, to be handed out again until replaced). */
async function claimFallbackKeys(db: SqlContext['db'], claims: readonly KeyClaim[]): Promise<ClaimedKey[]> {
  if (claims.length === 0) return [];
  const rows: ClaimRow[] = await db(FALLBACK_KEYS).select('user_id', 'device_id', 'algorithm', 'key_id', 'key_json').whereIn([...GROUP], tuples(claims));
  if (rows.length > 0) await db(FALLBACK_KEYS).whereIn([...GROUP], rows.map((row) => [row.user_id, row.device_id, row.algorithm])).update({ used: true });
  return rows.map(claimed);
}

/** {@link E2eeStore.claimKeys}. */
export async function claimKeys(ctx: SqlContext, claims: readonly KeyClaim[]): Promise<ClaimedKey[]> {
  if (claims.length === 0) return [];
  const unique = [...new Map(claims.map((claim) => [claimKey(claim), claim])).values()];
  const { won, without } = await claimOneTimeKeys(ctx, unique);
  return [...won, ...(await claimFallbackKeys(ctx.db, without))];
}
