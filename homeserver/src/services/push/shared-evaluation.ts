/**
 * Push rules evaluated once per event per distinct ruleset. Most users' rulesets differ only by their own user ID
 * (the defaults name it in `.m.rule.invite_for_me` and `.m.rule.is_user_mention`), so a ruleset is keyed by its
 * template: the ruleset with the owner's ID replaced by a placeholder. For an event, one {@link SharedPlan} per
 * template walks the rules that do not depend on the owner once; the rules that do (they name the owner, or use
 * `contains_display_name`) are left as a few steps checked per user before the shared outcome.
 * The result is the same as {@link evaluatePushRules} per user.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '@parley/federation';
import { evaluationBudget, evaluationOf, conditionMatches, ruleMatches, type PushContext, type PushEvaluation } from './evaluate.js';
import { PUSH_RULE_KINDS, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/** Stands for the owner's user ID in a template (no user ID can hold a NUL). */
const OWNER = '\u0000owner';

/** A ruleset's template: its key, and which rules depend on the owner. */
export interface RulesetTemplate {
  /** Equal for two rulesets that differ only by their owners' IDs. */
  key: string;
  /** Per kind, per rule index: whether the rule's outcome depends on the owner. */
  dependent: Record<PushRuleKind, readonly boolean[]>;
}

/** `value` with every string equal to `userId` replaced by {@link OWNER}. */
function templated(value: JsonValue | undefined, userId: string): JsonValue | undefined {
  if (typeof value === 'string') return value === userId ? OWNER : value;
  if (Array.isArray(value)) return value.map((element) => templated(element, userId) ?? null);
  if (value === null || typeof value !== 'object') return value;
  const result: JsonObject = {};
  for (const [key, element] of Object.entries(value)) {
    const replaced = templated(element, userId);
    if (replaced !== undefined) result[key] = replaced;
  }
  return result;
}

/** Whether `value` holds the string `userId` anywhere. */
function names(value: JsonValue | undefined, userId: string): boolean {
  if (typeof value === 'string') return value === userId;
  if (Array.isArray(value)) return value.some((element) => names(element, userId));
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some((element) => names(element, userId));
}

/** Whether a condition's outcome depends on the owner. */
function conditionDependsOnOwner(condition: PushCondition, userId: string): boolean {
  return condition.kind === 'contains_display_name' || names(condition, userId);
}

function ruleDependsOnOwner(rule: PushRule, userId: string): boolean {
  return names(rule as unknown as JsonObject, userId) || (rule.conditions ?? []).some((condition) => conditionDependsOnOwner(condition, userId));
}

/** The template of `userId`'s merged ruleset. */
export function rulesetTemplate(userId: string, ruleset: PushRuleset): RulesetTemplate {
  const text = JSON.stringify(templated(ruleset as unknown as JsonObject, userId));
  const dependent = {} as Record<PushRuleKind, readonly boolean[]>;
  for (const kind of PUSH_RULE_KINDS) dependent[kind] = ruleset[kind].map((rule) => ruleDependsOnOwner(rule, userId));
  return { key: createHash('sha256').update(text).digest('base64'), dependent };
}

/** One event against one template: rules left to check per user, then the outcome shared by everyone else. */
export interface SharedPlan {
  steps: readonly { kind: PushRuleKind; index: number }[];
  outcome: PushEvaluation | null;
}

/** The room's part of a {@link PushContext}: the same for every user. */
export type RoomContext = Omit<PushContext, 'userId' | 'displayName'>;

/**
 * Whether a rule that depends on the owner can be dropped for everyone: one of its conditions that does not
 * depend on the owner fails (e.g. `type == m.room.member` of `.m.rule.invite_for_me` for a message).
 */
function failsForEveryone(kind: PushRuleKind, rule: PushRule, owner: string, event: JsonObject, context: PushContext): boolean {
  if (kind !== 'override' && kind !== 'underride') return false;
  const shared = (rule.conditions ?? []).filter((condition) => !conditionDependsOnOwner(condition, owner));
  return shared.some((condition) => !conditionMatches(condition, event, context));
}

/** The plan of `event` for every user of `template`; `ruleset` is the ruleset of one of them, `owner`. */
// NOTSPEC: the shared part and each user's own steps get one glob budget each (see evaluate.ts, spec/notspec.md).
export function planFor(owner: string, ruleset: PushRuleset, template: RulesetTemplate, event: JsonObject, room: RoomContext): SharedPlan {
  const budget = evaluationBudget();
  const context: PushContext = { ...room, userId: OWNER, displayName: null };
  const steps: { kind: PushRuleKind; index: number }[] = [];
  for (const kind of PUSH_RULE_KINDS) {
    for (const [index, rule] of ruleset[kind].entries()) {
      if (!rule.enabled) continue;
      if (template.dependent[kind][index] === true) {
        if (!failsForEveryone(kind, rule, owner, event, context)) steps.push({ kind, index });
        continue;
      }
      if (ruleMatches(kind, rule, event, context, budget)) return { steps, outcome: evaluationOf(kind, rule) };
    }
  }
  return { steps, outcome: null };
}

/** The outcome for one user of the plan's template: their own rules at the plan's steps, else the shared outcome. */
export function evaluateForUser(plan: SharedPlan, ruleset: PushRuleset, event: JsonObject, context: PushContext): PushEvaluation | null {
  const budget = evaluationBudget();
  for (const { kind, index } of plan.steps) {
    const rule = ruleset[kind][index];
    if (rule !== undefined && ruleMatches(kind, rule, event, context, budget)) return evaluationOf(kind, rule);
  }
  return plan.outcome;
}
