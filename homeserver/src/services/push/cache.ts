/**
 * Merged rulesets per user, cached in process and checked against the database on every use: one query
 * tells which users' rules changed (their `account_data` position moved), so several processes never serve
 * stale rules, and a message to a room of N local members costs one query plus loads for changed users only.
 */
import type { Storage } from '../../storage/index.js';
import { loadRuleset } from './rules.js';
import type { PushRuleset } from './types.js';

/** Upper bound on cached users; the oldest entries go first. */
const MAX_ENTRIES = 10_000;

export interface RulesetCache {
  /** The merged rulesets of `userIds`, read through `storage` (a transaction or the pool). */
  load(storage: Storage, userIds: readonly string[]): Promise<Map<string, PushRuleset>>;
}

export function createRulesetCache(): RulesetCache {
  const entries = new Map<string, { position: number; ruleset: PushRuleset }>();
  return {
    async load(storage, userIds) {
      const positions = userIds.length > 0 ? await storage.push.getRulesChangedAt(userIds) : new Map<string, number>();
      const result = new Map<string, PushRuleset>();
      for (const userId of userIds) {
        const position = positions.get(userId) ?? 0;
        const cached = entries.get(userId);
        if (cached && cached.position === position) {
          result.set(userId, cached.ruleset);
          continue;
        }
        const ruleset = await loadRuleset(storage, userId);
        entries.delete(userId);
        entries.set(userId, { position, ruleset });
        if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        result.set(userId, ruleset);
      }
      return result;
    },
  };
}
