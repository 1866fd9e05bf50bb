/**
 * Who an event notifies and how, with writes that do not grow with the room: each distinct ruleset is planned
 * once (shared-evaluation.ts), each member's outcome is then a few checks, and the outcome most joined members
 * share becomes one summary row; only members whose outcome differs get a row of their own (a highlight, other
 * actions, or an exception row saying they are not notified), and so does an invitee.
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import type { NewEventSummary, NewNotification, StoredEvent } from '../../storage/index.js';
import type { CachedRuleset } from './cache.js';
import type { PushContext, PushEvaluation } from './evaluate.js';
import type { RoomFacts } from './room-facts.js';
import { evaluateForUser, planFor, type RoomContext, type SharedPlan } from './shared-evaluation.js';

/** The event and where it sits, as the rows need it. */
export interface EventPlace {
  event: StoredEvent;
  threadId: string;
  ts: number;
}

/** What to store for one event. */
export interface Decision {
  summary: NewEventSummary | null;
  rows: NewNotification[];
}

/** Each user's outcome (null: no rule matched), one plan per distinct ruleset template. */
export function outcomesFor(
  users: readonly string[],
  rulesets: ReadonlyMap<string, CachedRuleset>,
  event: JsonObject,
  room: RoomFacts,
  sender: string,
): Map<string, PushEvaluation | null> {
  const context: RoomContext = {
    memberCount: room.joinedCount,
    senderPowerLevel: room.powerLevelOf(sender),
    notificationPowerLevels: room.notificationPowerLevels,
  };
  const plans = new Map<string, SharedPlan>();
  const outcomes = new Map<string, PushEvaluation | null>();
  // One context object, its user parts set per user (evaluation is synchronous).
  const userContext: PushContext = { ...context, userId: '', displayName: null };
  for (const userId of users) {
    const loaded = rulesets.get(userId);
    if (!loaded) continue;
    let plan = plans.get(loaded.template.key);
    if (plan === undefined) {
      plan = planFor(userId, loaded.ruleset, loaded.template, event, context);
      plans.set(loaded.template.key, plan);
    }
    if (plan.steps.length === 0) {
      outcomes.set(userId, plan.outcome);
      continue;
    }
    userContext.userId = userId;
    userContext.displayName = room.members.get(userId)?.displayName ?? null;
    outcomes.set(userId, evaluateForUser(plan, loaded.ruleset, event, userContext));
  }
  return outcomes;
}

const outcomeKeys = new WeakMap<PushEvaluation, string>();

/** Groups outcomes: equal keys mean equal rows (most users share one outcome object: its key is made once). */
function outcomeKey(outcome: PushEvaluation | null): string {
  if (outcome?.notify !== true) return '';
  let key = outcomeKeys.get(outcome);
  if (key === undefined) {
    key = JSON.stringify(outcome.actions);
    outcomeKeys.set(outcome, key);
  }
  return key;
}

/** The key most of `audience` shares, with one outcome of that key. */
function commonOutcome(audience: readonly string[], outcomes: ReadonlyMap<string, PushEvaluation | null>): PushEvaluation | null {
  const tally = new Map<string, { count: number; outcome: PushEvaluation | null }>();
  for (const userId of audience) {
    const outcome = outcomes.get(userId) ?? null;
    const key = outcomeKey(outcome);
    const entry = tally.get(key) ?? { count: 0, outcome };
    entry.count += 1;
    tally.set(key, entry);
  }
  let best: { count: number; outcome: PushEvaluation | null } | undefined;
  for (const entry of tally.values()) if (best === undefined || entry.count > best.count) best = entry;
  return best?.outcome?.notify === true ? best.outcome : null;
}

function row(userId: string, place: EventPlace, outcome: PushEvaluation | null): NewNotification {
  const { event } = place;
  const base = { userId, eventId: event.eventId, roomId: event.roomId, threadId: place.threadId, streamOrdering: event.streamOrdering, ts: place.ts };
  if (outcome?.notify !== true) return { ...base, highlight: false, actions: [], notify: false };
  return { ...base, highlight: outcome.highlight, actions: outcome.actions as JsonValue[] };
}

/**
 * The rows for an event. `audience`: the local joined members but the sender (those a summary counts for);
 * `others`: further users evaluated (an invitee); `outcomes` already has ignoring users' outcomes removed.
 */
export function decide(
  place: EventPlace,
  audience: readonly string[],
  others: readonly string[],
  outcomes: ReadonlyMap<string, PushEvaluation | null>,
): Decision {
  const common = commonOutcome(audience, outcomes);
  const commonKey = outcomeKey(common);
  const rows: NewNotification[] = [];
  for (const userId of audience) {
    const outcome = outcomes.get(userId) ?? null;
    if (outcomeKey(outcome) !== commonKey) rows.push(row(userId, place, outcome));
  }
  for (const userId of others) {
    const outcome = outcomes.get(userId) ?? null;
    if (outcome?.notify === true) rows.push(row(userId, place, outcome));
  }
  if (common === null) return { summary: null, rows };
  const { event } = place;
  const summary: NewEventSummary = {
    eventId: event.eventId,
    roomId: event.roomId,
    threadId: place.threadId,
    streamOrdering: event.streamOrdering,
    sender: event.sender,
    highlight: common.highlight,
    actions: common.actions as JsonValue[],
    ts: place.ts,
  };
  return { summary, rows };
}
