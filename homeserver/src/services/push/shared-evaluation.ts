/**
 * Push rules evaluated once per event per distinct ruleset. Most users' rulesets differ only by their own user ID
 * (the defaults name it in `.m.rule.invite_for_me` and `.m.rule.is_user_mention`) and localpart (the pattern of
 * `.m.rule.contains_user_name`), so a ruleset is keyed by its template: the ruleset with the owner's ID and
 * localpart replaced by placeholders. For an event, one {@link SharedPlan} per
 * template walks the rules that do not depend on the owner once; the rules that do (they name the owner, or use
 * `contains_display_name`) are left as a few steps checked per user before the shared outcome.
 * The result is the same as {@link evaluatePushRules} per user.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '@parley/federation';
import { evaluationBudget, evaluationOf, conditionMatches, hasMentions, ruleMatches, skipsLegacyRule, type PushContext, type PushEvaluation } from './evaluate.js';
import { localpartOf } from './ruleset.js';
import { PUSH_RULE_KINDS, type PushCondition, type PushRule, type PushRuleKind, type PushRuleset } from './types.js';

/** Stand for the owner's user ID and localpart in a template (no user ID can hold a NUL). */
const OWNER = '\u0000owner';
const OWNER_LOCALPART = '\u0000localpart';

/** A ruleset's template: its key, and which rules depend on the owner. */
export interface RulesetTemplate {
  /** Equal for two rulesets that differ only by their owners' IDs. */
  key: string;
  /** Per kind, per rule index: whether the rule's outcome depends on the owner. */
  dependent: Record<PushRuleKind, readonly boolean[]>;
}

/** `value` with every string equal to `userId` or its localpart replaced by {@link OWNER} / {@link OWNER_LOCALPART}. */
function templated(value: JsonValue | undefined, userId: string, localpart = localpartOf(userId)): JsonValue | undefined {
  if (typeof value === 'string') return value === userId ? OWNER : value === localpart ? OWNER_LOCALPART : value;
  if (Array.isArray(value)) return value.map((element) => templated(element, userId, localpart) ?? null);
  if (value === null || typeof value !== 'object') return value;
  const result: JsonObject = {};
  for (const [key, element] of Object.entries(value)) {
    const replaced = templated(element, userId, localpart);
    if (replaced !== undefined) result[key] = replaced;
  }
  return result;
}

/** Whether `value` holds the string `userId`, or its localpart, anywhere (exactly what {@link templated} replaces). */
function names(value: JsonValue | undefined, userId: string, localpart = localpartOf(userId)): boolean {
  if (typeof value === 'string') return value === userId || value === localpart;
  if (Array.isArray(value)) return value.some((element) => names(element, userId, localpart));
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some((element) => names(element, userId, localpart));
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

/**
 * A rule left to check per user. `exact`: it can only match a user whose ID is one of the event's string values
 * (it depends on the owner only through exact comparisons: `event_property_is`/`_contains` with the owner's ID, a
 * room or sender rule named by it), so users whose ID the event does not hold skip it.
 */
export interface PlanStep {
  kind: PushRuleKind;
  index: number;
  exact: boolean;
}

/** One event against one template: rules left to check per user, then the outcome shared by everyone else. */
export interface SharedPlan {
  steps: readonly PlanStep[];
  outcome: PushEvaluation | null;
  /** Every string value in the event, when a step is `exact`. */
  strings: ReadonlySet<string> | null;
}

/** Every string value (not key) in `value`. */
function stringsIn(value: JsonValue | undefined, into: Set<string>): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const element of value) stringsIn(element, into);
  else if (value !== null && typeof value === 'object') for (const element of Object.values(value)) stringsIn(element, into);
  return into;
}

/** Whether `rule` depends on the owner only through exact comparisons with the owner's ID. */
function dependsExactly(kind: PushRuleKind, rule: PushRule, owner: string): boolean {
  if (kind === 'room' || kind === 'sender') return rule.rule_id === owner && !names(rule.actions as JsonValue, owner);
  if (kind !== 'override' && kind !== 'underride') return false;
  const dependent = (rule.conditions ?? []).filter((condition) => conditionDependsOnOwner(condition, owner));
  return (
    dependent.length > 0 &&
    !names(rule.actions as JsonValue, owner) &&
    dependent.every((condition) => (condition.kind === 'event_property_is' || condition.kind === 'event_property_contains') && condition.value === owner && condition.key !== owner)
  );
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
  const steps: PlanStep[] = [];
  const mentions = hasMentions(event);
  const plan = (outcome: PushEvaluation | null): SharedPlan => ({
    steps,
    outcome,
    strings: steps.some((step) => step.exact) ? stringsIn(event, new Set()) : null,
  });
  for (const kind of PUSH_RULE_KINDS) {
    for (const [index, rule] of ruleset[kind].entries()) {
      if (!rule.enabled || skipsLegacyRule(kind, rule, mentions)) continue;
      if (template.dependent[kind][index] === true) {
        if (!failsForEveryone(kind, rule, owner, event, context)) steps.push({ kind, index, exact: dependsExactly(kind, rule, owner) });
        continue;
      }
      if (ruleMatches(kind, rule, event, context, budget)) return plan(evaluationOf(kind, rule));
    }
  }
  return plan(null);
}

/** The outcome for one user of the plan's template: their own rules at the plan's steps, else the shared outcome. */
export function evaluateForUser(plan: SharedPlan, ruleset: PushRuleset, event: JsonObject, context: PushContext): PushEvaluation | null {
  const budget = evaluationBudget();
  for (const { kind, index, exact } of plan.steps) {
    if (exact && plan.strings !== null && !plan.strings.has(context.userId)) continue;
    const rule = ruleset[kind][index];
    if (rule !== undefined && ruleMatches(kind, rule, event, context, budget)) return evaluationOf(kind, rule);
  }
  return plan.outcome;
}
