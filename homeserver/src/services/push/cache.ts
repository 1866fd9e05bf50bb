/**
 * Merged rulesets per user, cached in process and checked against the database on every use: one query
 * tells which users' rules changed (their `account_data` position moved), so several processes never serve
 * stale rules, and a message to a room of N local members costs one query plus loads for changed users only.
 * Each entry carries its template (see shared-evaluation.ts), computed once per load.
 */
import type { Storage } from '../../storage/index.js';
import { loadRuleset } from './rules.js';
import { defaultRuleset } from './ruleset.js';
import { rulesetTemplate, type RulesetTemplate } from './shared-evaluation.js';
import type { PushRuleset } from './types.js';

/** Upper bound on cached users; the oldest entries go first. */
const MAX_ENTRIES = 10_000;

/** A user's merged ruleset and its template. */
export interface CachedRuleset {
  ruleset: PushRuleset;
  template: RulesetTemplate;
}

export interface RulesetCache {
  /** The merged rulesets of `userIds`, read through `storage` (a transaction or the pool). */
  load(storage: Storage, userIds: readonly string[]): Promise<Map<string, CachedRuleset>>;
}

export function createRulesetCache(): RulesetCache {
  const entries = new Map<string, { position: number; cached: CachedRuleset }>();
  return {
    async load(storage, userIds) {
      const positions = userIds.length > 0 ? await storage.push.getRulesChangedAt(userIds) : new Map<string, number>();
      const result = new Map<string, CachedRuleset>();
      for (const userId of userIds) {
        const position = positions.get(userId) ?? 0;
        const entry = entries.get(userId);
        if (entry && entry.position === position) {
          result.set(userId, entry.cached);
          continue;
        }
        // Every rule change records its position in the same transaction: no position, no change from the defaults.
        const ruleset = positions.has(userId) ? await loadRuleset(storage, userId) : defaultRuleset(userId);
        const cached = { ruleset, template: rulesetTemplate(userId, ruleset) };
        entries.delete(userId);
        entries.set(userId, { position, cached });
        if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        result.set(userId, cached);
      }
      return result;
    },
  };
}
