/**
 * Quotas on account data a client sets (global, per room and room tags): entries per user, total bytes per user,
 * bytes per entry, from the `limits` config section. Every initial /sync returns all of it, so it stays bounded.
 * https://spec.matrix.org/v1.19/client-server-api/#client-config
 */
import type { JsonObject } from '@parley/federation';
import type { Config } from '../../config/schema.js';
import { MatrixError } from '../../matrix-error.js';
import type { Storage } from '../../storage/index.js';
import { IGNORED_USER_LIST } from './account-data-rules.js';

export interface AccountDataQuota {
  maxEntries: number;
  maxBytes: number;
  entryMaxBytes: number;
}

export function accountDataQuota(limits: Config['limits']): AccountDataQuota {
  return {
    maxEntries: limits.account_data_max_entries,
    maxBytes: limits.account_data_max_bytes,
    entryMaxBytes: limits.account_data_entry_max_bytes,
  };
}

/**
 * Types that do not count towards the per-user entry and byte quotas: the server writes `m.fully_read` (one
 * per room) and serves `m.push_rules`, and blocking `m.ignored_user_list` would keep a user from ignoring an
 * abuser. They still have the per-entry size limit.
 */
export const QUOTA_EXEMPT_TYPES: readonly string[] = ['m.fully_read', 'm.push_rules', IGNORED_USER_LIST];

/** The stored size of `content`: its JSON in UTF-8, as the repository measures it. */
export function contentBytes(content: JsonObject): number {
  return Buffer.byteLength(JSON.stringify(content), 'utf8');
}

const tooLarge = (message: string): MatrixError => new MatrixError(400, 'M_TOO_LARGE', message);

/**
 * Throws 400 `M_TOO_LARGE` when writing `content` as the user's (`roomId`, `type`) entry would pass a quota.
 * A write that replaces an entry without growing it always passes, so a user over quota can still shrink.
 * Call inside the write transaction, after taking the `account_data` stream position (which serialises writes).
 * NOTSPEC: the spec sets no quotas; 400 rather than 413 because the request was within the body size limit.
 */
export async function checkAccountDataQuota(
  tx: Storage,
  entry: { userId: string; roomId: string | null; type: string; content: JsonObject },
  quota: AccountDataQuota,
): Promise<void> {
  const bytes = contentBytes(entry.content);
  if (bytes > quota.entryMaxBytes) throw tooLarge(`Account data entries may be at most ${quota.entryMaxBytes} bytes`);
  if (QUOTA_EXEMPT_TYPES.includes(entry.type)) return;
  const usage = await tx.userData.getAccountDataUsage(entry.userId, {
    except: { roomId: entry.roomId, type: entry.type },
    exemptTypes: QUOTA_EXEMPT_TYPES,
  });
  if (usage.exceptBytes === null && usage.entries >= quota.maxEntries) {
    throw tooLarge(`At most ${quota.maxEntries} account data entries per user`);
  }
  if (usage.bytes + bytes > quota.maxBytes && bytes > (usage.exceptBytes ?? 0)) {
    throw tooLarge(`Account data may total at most ${quota.maxBytes} bytes per user`);
  }
}
