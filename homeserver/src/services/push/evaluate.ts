/**
 * The pure push rule evaluator: which rule of a user's ruleset an event matches first, and what that means
 * (notify, highlight, tweaks). No I/O: everything about the room comes in {@link PushContext}.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import { compileGlob, compileLiteral, globMatchesWhole, globMatchesWords, mayMatch, type GlobBudget } from './glob.js';
import { lookupPath } from './paths.js';
import { LEGACY_MENTION_RULES } from './ruleset.js';
import {
  PUSH_RULE_KINDS,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from './types.js';

/** What the evaluator knows about the room and the user the rules belong to. */
export interface PushContext {
  /** The owner of the rules. */
  userId: string;
  /** The owner's display name in the room (`contains_display_name`); null when unset. */
  displayName: string | null;
  /** Joined members of the room (`room_member_count`). */
  memberCount: number;
  /** The event sender's power level (Infinity for v12 room creators). */
  senderPowerLevel: number;
  /** `notifications` of the room's power levels: the level each notification key needs. */
  notificationPowerLevels: ReadonlyMap<string, number>;
}

/** The outcome for one event and one user. */
export interface PushEvaluation {
  /** The first enabled rule that matched. */
  kind: PushRuleKind;
  ruleId: string;
  /** Its actions, without the historical `dont_notify` and `coalesce`. */
  actions: PushAction[];
  notify: boolean;
  highlight: boolean;
}

/**
 * Glob work one evaluation (one event, one ruleset) may do, in character comparisons: about thirty passes over
 * a 64 KiB body, far more than the default rules and a user's keywords need. Past it, the remaining glob
 * conditions do not match.
 */
// NOTSPEC: the spec has no bound on matching cost; this one keeps a pathological ruleset from stalling the server.
export const GLOB_WORK_PER_EVALUATION = 2_000_000;

/** A fresh budget for one evaluation. */
export function evaluationBudget(): GlobBudget {
  return { remaining: GLOB_WORK_PER_EVALUATION };
}

/** The level a notification key needs when power levels do not say (spec: `room` defaults to 50). */
const DEFAULT_NOTIFICATION_LEVEL = 50;

/** Actions older spec versions had; "Clients and homeservers MUST ignore these actions". */
const HISTORICAL_ACTIONS = new Set(['dont_notify', 'coalesce']);

/** `actions` without the historical ones. */
export function stripHistoricalActions(actions: readonly PushAction[]): PushAction[] {
  return actions.filter((action) => typeof action !== 'string' || !HISTORICAL_ACTIONS.has(action));
}

/**
 * Whether `actions` highlight: a `highlight` tweak with no value means true, with `true` means true, absent
 * or anything else means false.
 * https://spec.matrix.org/v1.19/client-server-api/#actions
 */
export function actionsHighlight(actions: readonly PushAction[]): boolean {
  let highlight = false;
  for (const action of actions) {
    if (typeof action === 'string' || action.set_tweak !== 'highlight') continue;
    highlight = !Object.hasOwn(action, 'value') || action.value === true;
  }
  return highlight;
}

/** True when `value` is a non-compound canonical JSON value: string, safe integer, boolean or null. */
function isScalar(value: JsonValue | undefined): value is string | number | boolean | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** `event_match`: glob on a string property; `content.body` matches at word boundaries. */
function eventMatch(condition: PushCondition, event: JsonObject, budget: GlobBudget): boolean {
  const { key, pattern } = condition;
  if (typeof key !== 'string' || typeof pattern !== 'string') return false;
  const value = lookupPath(event, key);
  if (typeof value !== 'string') return false;
  const tokens = compileGlob(pattern);
  return key === 'content.body' ? globMatchesWords(tokens, value, budget) : globMatchesWhole(tokens, value, budget);
}

/** `event_property_is`: exact match of a scalar property. */
function eventPropertyIs(condition: PushCondition, event: JsonObject): boolean {
  const { key, value } = condition;
  if (typeof key !== 'string' || !isScalar(value)) return false;
  const actual = lookupPath(event, key);
  return isScalar(actual) && actual === value;
}

/** `event_property_contains`: an array property holding the scalar exactly (compound elements ignored). */
function eventPropertyContains(condition: PushCondition, event: JsonObject): boolean {
  const { key, value } = condition;
  if (typeof key !== 'string' || !isScalar(value)) return false;
  const actual = lookupPath(event, key);
  return Array.isArray(actual) && actual.some((element) => isScalar(element) && element === value);
}

/** `contains_display_name` (deprecated): the owner's display name in `content.body`, at word boundaries. */
function containsDisplayName(event: JsonObject, context: PushContext, budget: GlobBudget): boolean {
  const name = context.displayName;
  if (name === null || name === '') return false;
  const body = lookupPath(event, 'content.body');
  return typeof body === 'string' && mayMatch(name, body, { literal: true }) && globMatchesWords(compileLiteral(name), body, budget);
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?([0-9]+)$/;

/** `room_member_count`: `is` is a decimal integer with an optional `==`, `<`, `>`, `<=` or `>=` prefix. */
function roomMemberCount(condition: PushCondition, context: PushContext): boolean {
  const parsed = typeof condition.is === 'string' ? MEMBER_COUNT.exec(condition.is) : null;
  if (!parsed) return false;
  const wanted = Number(parsed[2]);
  const count = context.memberCount;
  switch (parsed[1]) {
    case '<':
      return count < wanted;
    case '>':
      return count > wanted;
    case '<=':
      return count <= wanted;
    case '>=':
      return count >= wanted;
    default:
      return count === wanted;
  }
}

/** `sender_notification_permission`: the sender's level reaches `notifications[key]` of the power levels. */
function senderNotificationPermission(condition: PushCondition, context: PushContext): boolean {
  const { key } = condition;
  if (typeof key !== 'string') return false;
  const required = context.notificationPowerLevels.get(key) ?? DEFAULT_NOTIFICATION_LEVEL;
  return context.senderPowerLevel >= required;
}

/** Whether one condition holds. Unknown kinds never match ("effectively making the push rule disabled"). */
export function conditionMatches(
  condition: PushCondition,
  event: JsonObject,
  context: PushContext,
  budget: GlobBudget = evaluationBudget(),
): boolean {
  switch (condition.kind) {
    case 'event_match':
      return eventMatch(condition, event, budget);
    case 'event_property_is':
      return eventPropertyIs(condition, event);
    case 'event_property_contains':
      return eventPropertyContains(condition, event);
    case 'contains_display_name':
      return containsDisplayName(event, context, budget);
    case 'room_member_count':
      return roomMemberCount(condition, context);
    case 'sender_notification_permission':
      return senderNotificationPermission(condition, context);
    default:
      return false;
  }
}

/**
 * Whether `rule` of `kind` matches. Content rules glob `pattern` on `content.body`; room and sender rules
 * compare the `rule_id` with the event's `room_id` / `sender`; override and underride rules need every
 * condition (none means always).
 */
export function ruleMatches(
  kind: PushRuleKind,
  rule: PushRule,
  event: JsonObject,
  context: PushContext,
  budget: GlobBudget = evaluationBudget(),
): boolean {
  switch (kind) {
    case 'content': {
      const body = lookupPath(event, 'content.body');
      if (typeof rule.pattern !== 'string' || typeof body !== 'string') return false;
      return mayMatch(rule.pattern, body, { literal: false }) && globMatchesWords(compileGlob(rule.pattern), body, budget);
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((condition) => conditionMatches(condition, event, context, budget));
  }
}

/** Whether the event's content has an `m.mentions` property (of any value). */
export function hasMentions(event: JsonObject): boolean {
  const content = event.content;
  return typeof content === 'object' && content !== null && !Array.isArray(content) && Object.hasOwn(content, 'm.mentions');
}

/**
 * Whether `rule` is one of the legacy mention rules, which are skipped for an event with `m.mentions` ("should only
 * be enabled if the event does not have an `m.mentions` property", v1.7 to v1.16), so a message that mentions
 * nobody on purpose does not highlight for a name in its body.
 */
export function skipsLegacyRule(kind: PushRuleKind, rule: PushRule, mentions: boolean): boolean {
  return mentions && rule.default && LEGACY_MENTION_RULES[rule.rule_id] === kind;
}

/**
 * Evaluates `ruleset` for `event` (the event as JSON: `type`, `content`, `sender`, `room_id`, `state_key`...):
 * the first enabled rule that matches, in kind order then priority order, decides. Null when none matches,
 * which means no notification. Callers skip events the user sent themselves.
 * https://spec.matrix.org/v1.19/client-server-api/#push-rules
 */
export function evaluatePushRules(ruleset: PushRuleset, event: JsonObject, context: PushContext): PushEvaluation | null {
  const budget = evaluationBudget();
  const mentions = hasMentions(event);
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of ruleset[kind]) {
      if (!rule.enabled || skipsLegacyRule(kind, rule, mentions)) continue;
      if (ruleMatches(kind, rule, event, context, budget)) return evaluationOf(kind, rule);
    }
  }
  return null;
}

/** What matching `rule` of `kind` means. */
export function evaluationOf(kind: PushRuleKind, rule: PushRule): PushEvaluation {
  const actions = stripHistoricalActions(rule.actions);
  return { kind, ruleId: rule.rule_id, actions, notify: actions.includes('notify'), highlight: actionsHighlight(actions) };
}
