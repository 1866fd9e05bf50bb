/**
 * Merged rulesets per user, cached in process and checked against the database on every use: every rule change
 * moves the `account_data` stream, so while its position stands still every cached ruleset is current (in any
 * process) and a message costs one small query; when it moved, one query tells which users' rules changed
 * (their recorded position moved) and only those are loaded again.
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
  /**
   * The merged rulesets of `userIds`, read through `storage` (a transaction or the pool). `accountDataPosition`:
   * the `account_data` stream position, read before this call (rule positions read after it are at least that new).
   */
  load(storage: Storage, userIds: readonly string[], accountDataPosition: number): Promise<Map<string, CachedRuleset>>;
}

/** One user's entry: the rule position it was loaded at, and the stream position it was last known current at. */
interface Entry {
  position: number;
  verifiedAt: number;
  cached: CachedRuleset;
}

export function createRulesetCache(): RulesetCache {
  const entries = new Map<string, Entry>();

  function remember(userId: string, entry: Entry): void {
    entries.delete(userId);
    entries.set(userId, entry);
    if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  }

  return {
    async load(storage, userIds, streamPosition) {
      const check = userIds.filter((userId) => entries.get(userId)?.verifiedAt !== streamPosition);
      const positions = check.length > 0 ? await storage.push.getRulesChangedAt(check) : new Map<string, number>();
      const result = new Map<string, CachedRuleset>();
      for (const userId of userIds) {
        const entry = entries.get(userId);
        if (entry && entry.verifiedAt === streamPosition) {
          result.set(userId, entry.cached);
          continue;
        }
        const position = positions.get(userId) ?? 0;
        if (entry && entry.position === position) {
          entry.verifiedAt = streamPosition;
          result.set(userId, entry.cached);
          continue;
        }
        // Every rule change records its position in the same transaction: no position, no change from the defaults.
        const ruleset = positions.has(userId) ? await loadRuleset(storage, userId) : defaultRuleset(userId);
        const cached = { ruleset, template: rulesetTemplate(userId, ruleset) };
        remember(userId, { position, verifiedAt: streamPosition, cached });
        result.set(userId, cached);
      }
      return result;
    },
  };
}
