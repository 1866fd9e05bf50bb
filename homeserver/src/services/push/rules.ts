/**
 * A user's push rules: reading the merged ruleset, and the changes /pushrules makes (add, move, delete,
 * enable, actions). Every change bumps the `account_data` stream so sync sends the new `m.push_rules`.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { Storage, StoredPushRule } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { findDefaultRule, mergeRuleset, type DefaultRuleChange, type UserRule } from './ruleset.js';
import { isPushRuleKind, type PushAction, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';
import { checkRuleBounds, MAX_ACTIONS_PER_RULE, validateActions, validateConditions, validateNewRuleId } from './validate.js';

/** What PUT /pushrules/global/{kind}/{ruleId} carries. */
export interface PushRuleInput {
  actions: JsonValue[];
  conditions?: JsonValue[];
  pattern?: string;
  /** Place the rule just before this user-defined rule (wins over `after`). */
  before?: string;
  /** Place the rule just after this user-defined rule. */
  after?: string;
}

/** The only scope the spec defines. */
export const GLOBAL_SCOPE = 'global';

/** Checks the scope and kind of a path: both must exist, else 400. */
export function checkScopeAndKind(scope: string, kind: string): PushRuleKind {
  if (scope !== GLOBAL_SCOPE) throw new MatrixError(400, 'M_INVALID_PARAM', `Unknown push rule scope: ${scope}`);
  if (!isPushRuleKind(kind)) throw new MatrixError(400, 'M_INVALID_PARAM', `Unknown push rule kind: ${kind}`);
  return kind;
}

function userRuleFromStored(stored: StoredPushRule): UserRule | null {
  if (!isPushRuleKind(stored.kind)) return null;
  const rule: PushRule = {
    rule_id: stored.ruleId,
    default: false,
    enabled: stored.enabled,
    actions: stored.actions as PushAction[],
  };
  if (stored.kind === 'override' || stored.kind === 'underride') rule.conditions = (stored.conditions ?? []) as PushRule['conditions'];
  if (stored.kind === 'content') rule.pattern = stored.pattern ?? '';
  return { kind: stored.kind, rule };
}

/** The user's merged ruleset as stored in `storage` (pass a transaction to read inside it). */
export async function loadRuleset(storage: Storage, userId: string): Promise<PushRuleset> {
  const [stored, overrides] = await Promise.all([
    storage.push.getUserRules(userId),
    storage.push.getDefaultOverrides(userId),
  ]);
  const userRules = stored.map(userRuleFromStored).filter((rule): rule is UserRule => rule !== null);
  const changes: DefaultRuleChange[] = overrides.flatMap((override) =>
    isPushRuleKind(override.kind)
      ? [{ kind: override.kind, ruleId: override.ruleId, enabled: override.enabled, actions: override.actions as PushAction[] | null }]
      : [],
  );
  return mergeRuleset(userId, userRules, changes);
}

/** One rule of the merged ruleset, or 404 `M_NOT_FOUND`. */
export function findRule(ruleset: PushRuleset, kind: PushRuleKind, ruleId: string): PushRule {
  const rule = ruleset[kind].find((candidate) => candidate.rule_id === ruleId);
  if (!rule) throw new MatrixError(404, 'M_NOT_FOUND', 'The push rule was not found.');
  return rule;
}

/** Where a new or moved rule goes among the user's rules of its kind (IDs in priority order). */
function placeRule(order: readonly string[], ruleId: string, input: PushRuleInput, exists: boolean): string[] {
  const others = order.filter((id) => id !== ruleId);
  const anchor = input.before ?? input.after;
  if (anchor === undefined) return exists ? [...order] : [ruleId, ...others];
  const index = others.indexOf(anchor);
  if (index < 0) throw new MatrixError(400, 'M_UNKNOWN', `before/after rule not found: ${anchor}`);
  const at = input.before !== undefined ? index : index + 1;
  return [...others.slice(0, at), ruleId, ...others.slice(at)];
}

/** The stored form of a validated rule body for `kind`. */
function storedRule(kind: PushRuleKind, ruleId: string, input: PushRuleInput, enabled: boolean): StoredPushRule {
  const actions = validateActions(input.actions) as JsonValue[];
  const base = { kind, ruleId, priority: 0, enabled, actions, conditions: null, pattern: null };
  if (kind === 'override' || kind === 'underride') {
    return { ...base, conditions: validateConditions(input.conditions ?? []) as JsonObject[] };
  }
  if (kind === 'content') {
    if (typeof input.pattern !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', 'Content rules need a "pattern"');
    return { ...base, pattern: input.pattern };
  }
  return base;
}

/** The rule changes of one user, each in a transaction that also bumps the account_data stream. */
export interface RuleChanges {
  put(userId: string, kind: PushRuleKind, ruleId: string, input: PushRuleInput): Promise<void>;
  remove(userId: string, kind: PushRuleKind, ruleId: string): Promise<void>;
  setEnabled(userId: string, kind: PushRuleKind, ruleId: string, enabled: boolean): Promise<void>;
  setActions(userId: string, kind: PushRuleKind, ruleId: string, actions: JsonValue[]): Promise<void>;
}

export function createRuleChanges(deps: Pick<CoreDeps, 'storage' | 'notifier' | 'config'>): RuleChanges {
  const limits = deps.config.limits;
  /** Runs `change` in a transaction holding the account_data stream lock, then announces the new position. */
  async function change(userId: string, apply: (tx: Storage) => Promise<void>): Promise<void> {
    const position = await deps.storage.transaction(async (tx) => {
      // Taking the position first serialises every rule change behind the stream's row lock.
      const next = await tx.streams.next('account_data');
      await apply(tx);
      await tx.push.setRulesChangedAt(userId, next);
      return next;
    });
    await deps.notifier.publish({ stream: 'account_data', position, userIds: [userId] });
  }

  return {
    async put(userId, kind, ruleId, input) {
      validateNewRuleId(ruleId);
      checkRuleBounds(input, { patternMaxLength: limits.push_rule_pattern_max_length });
      await change(userId, async (tx) => {
        const all = await tx.push.getUserRules(userId);
        const existing = all.filter((rule) => rule.kind === kind);
        const current = existing.find((rule) => rule.ruleId === ruleId);
        if (current === undefined && all.length >= limits.push_rules_per_user) {
          // NOTSPEC: the spec sets no quota; every event is evaluated against every rule of every member.
          throw new MatrixError(400, 'M_TOO_LARGE', `At most ${limits.push_rules_per_user} push rules per user`);
        }
        // "When creating push rules, they MUST be enabled by default"; an update keeps the rule's state.
        const rule = storedRule(kind, ruleId, input, current?.enabled ?? true);
        const order = placeRule(
          existing.map((stored) => stored.ruleId),
          ruleId,
          input,
          current !== undefined,
        );
        await tx.push.putUserRule(userId, { ...rule, priority: order.indexOf(ruleId) });
        await tx.push.setUserRulePriorities(userId, kind, order);
      });
    },

    async remove(userId, kind, ruleId) {
      if (findDefaultRule(userId, kind, ruleId)) {
        // NOTSPEC: the spec lists only 200 and 404; server-default rules cannot be removed, only disabled.
        throw new MatrixError(400, 'M_INVALID_PARAM', 'Server-default push rules cannot be deleted');
      }
      await change(userId, async (tx) => {
        if (!(await tx.push.deleteUserRule(userId, kind, ruleId))) {
          throw new MatrixError(404, 'M_NOT_FOUND', 'The push rule was not found.');
        }
      });
    },

    async setEnabled(userId, kind, ruleId, enabled) {
      await updateRule(userId, kind, ruleId, { enabled });
    },

    async setActions(userId, kind, ruleId, actions) {
      if (actions.length > MAX_ACTIONS_PER_RULE) {
        throw new MatrixError(400, 'M_INVALID_PARAM', `A push rule may have at most ${MAX_ACTIONS_PER_RULE} actions`);
      }
      await updateRule(userId, kind, ruleId, { actions: validateActions(actions) as JsonValue[] });
    },
  };

  async function updateRule(
    userId: string,
    kind: PushRuleKind,
    ruleId: string,
    update: { enabled?: boolean; actions?: JsonValue[] },
  ): Promise<void> {
    await change(userId, async (tx) => {
      if (findDefaultRule(userId, kind, ruleId)) {
        await tx.push.setDefaultOverride(userId, kind, ruleId, update);
      } else if (!(await tx.push.updateUserRule(userId, kind, ruleId, update))) {
        throw new MatrixError(404, 'M_NOT_FOUND', 'The push rule was not found.');
      }
    });
  }
}
