/**
 * Checking what clients send for push rules: rule IDs, actions and conditions. Bad input is a 400 with the
 * spec's error code, never a stored rule the evaluator would trip over.
 * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
 */
import { isJsonObject, type JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import { stripHistoricalActions } from './evaluate.js';
import type { PushAction, PushCondition } from './types.js';

/** Actions given as plain strings that we understand (historical ones are accepted, then stripped). */
const STRING_ACTIONS = new Set(['notify', 'dont_notify', 'coalesce']);

/**
 * Validates an `actions` array and strips the historical actions. Each action is a known string or an
 * object with a string `set_tweak`; anything else is 400 `M_BAD_JSON`.
 */
export function validateActions(actions: readonly JsonValue[]): PushAction[] {
  const valid: PushAction[] = [];
  for (const action of actions) {
    if (typeof action === 'string' && STRING_ACTIONS.has(action)) valid.push(action);
    else if (isJsonObject(action) && typeof action.set_tweak === 'string') valid.push(action);
    else throw new MatrixError(400, 'M_BAD_JSON', `Unrecognised push action: ${JSON.stringify(action)}`);
  }
  return stripHistoricalActions(valid);
}

/** The parameters each known condition kind needs, with their JSON types. */
const CONDITION_PARAMETERS: Record<string, Record<string, (value: JsonValue | undefined) => boolean>> = {
  event_match: { key: isString, pattern: isString },
  event_property_is: { key: isString, value: isScalar },
  event_property_contains: { key: isString, value: isScalar },
  contains_display_name: {},
  room_member_count: { is: (value) => typeof value === 'string' && /^(==|<=|>=|<|>)?[0-9]+$/.test(value) },
  sender_notification_permission: { key: isString },
};

function isString(value: JsonValue | undefined): boolean {
  return typeof value === 'string';
}

function isScalar(value: JsonValue | undefined): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/**
 * Validates the `conditions` of an override/underride rule: objects with a string `kind`; known kinds must
 * carry their parameters. Unknown kinds are kept: the spec says they never match, not that they are invalid.
 */
export function validateConditions(conditions: readonly JsonValue[]): PushCondition[] {
  return conditions.map((condition) => {
    if (!isJsonObject(condition) || typeof condition.kind !== 'string') {
      throw new MatrixError(400, 'M_BAD_JSON', 'Each push condition must be an object with a string "kind"');
    }
    const parameters = CONDITION_PARAMETERS[condition.kind] ?? {};
    for (const [name, check] of Object.entries(parameters)) {
      if (!check(condition[name])) {
        throw new MatrixError(400, 'M_BAD_JSON', `Push condition "${condition.kind}" needs a valid "${name}"`);
      }
    }
    return condition as PushCondition;
  });
}

/**
 * Rejects rule IDs a client may not create: a leading dot is reserved for server-default rules, slashes and
 * backslashes are not allowed.
 */
export function validateNewRuleId(ruleId: string): void {
  if (ruleId === '' || ruleId.startsWith('.')) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Rule IDs starting with "." are reserved for server-default rules');
  }
  if (ruleId.includes('/') || ruleId.includes('\\')) {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Rule IDs may not contain slashes or backslashes');
  }
}

/** The bounds a rule body must keep (from the `limits` config section). */
export interface RuleBounds {
  /** `limits.push_rule_pattern_max_length`: longest `pattern` of a content rule or an event_match condition. */
  patternMaxLength: number;
}

/** Most conditions, and most actions, one rule may carry. */
// NOTSPEC: the spec sets no bound; every event is evaluated against every rule, so each rule stays small.
export const MAX_CONDITIONS_PER_RULE = 32;
export const MAX_ACTIONS_PER_RULE = 32;

function checkPattern(pattern: JsonValue | undefined, bounds: RuleBounds): void {
  if (typeof pattern === 'string' && pattern.length > bounds.patternMaxLength) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `Push rule patterns may be at most ${bounds.patternMaxLength} characters long`);
  }
}

/**
 * Rejects a rule body that is too big to evaluate cheaply: 400 `M_INVALID_PARAM` for more than 32 conditions or
 * actions, or a pattern longer than the configured maximum.
 */
export function checkRuleBounds(
  input: { actions: readonly JsonValue[]; conditions?: readonly JsonValue[]; pattern?: string },
  bounds: RuleBounds,
): void {
  if (input.actions.length > MAX_ACTIONS_PER_RULE) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `A push rule may have at most ${MAX_ACTIONS_PER_RULE} actions`);
  }
  const conditions = input.conditions ?? [];
  if (conditions.length > MAX_CONDITIONS_PER_RULE) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `A push rule may have at most ${MAX_CONDITIONS_PER_RULE} conditions`);
  }
  checkPattern(input.pattern, bounds);
  for (const condition of conditions) if (isJsonObject(condition)) checkPattern(condition.pattern, bounds);
}
