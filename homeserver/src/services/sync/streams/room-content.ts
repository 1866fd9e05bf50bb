/**
 * One room's timeline, state and summary for a sync response, from the page of events the rooms domain
 * returned for it. Shared by joined and left rooms.
 * https://spec.matrix.org/v1.19/client-server-api/#syncing
 */
import type { JsonObject } from '@parley/federation';
import type { RoomEventsPage, StoredEvent } from '../../rooms/index.js';
import type { SyncContext } from '../context.js';
import { eventMatches, filterEvents, pickEventFields, type RoomEventFilter } from '../filter.js';
import type { LazyMemberCache } from '../lazy-members.js';
import type { RoomSummary, SyncSources, Timeline } from '../types.js';

/** How the room's state section is computed. */
export type StateMode =
  /** Complete state at the start of the timeline: initial sync, full_state, newly joined rooms. */
  | 'full'
  /** What changed between `since` and the start of the timeline (empty unless the timeline is limited). */
  | 'delta';

/** What to build for one room. */
export interface RoomPlan {
  roomId: string;
  /** Events with `from < streamOrdering <= to` make the timeline. */
  from: number;
  to: number;
  stateMode: StateMode;
  /** The user's own member event must be in the state (they just joined, or the state is full). */
  includeOwnMember: boolean;
  /** Compute `m.heroes` and member counts even if no membership changed. */
  forceSummary: boolean;
  /**
   * Stream position of the user's current `join`, when they are joined: events after it are visible to them under
   * every history visibility, so they skip the visibility check.
   */
  joinedAt?: number;
  /** For left rooms: the user's own leave/ban event, which ends the timeline and is always shown to them. */
  ownMembershipEventId?: string;
  /**
   * The range holds historical events (left out of the timeline) or events whose persisting changed the state by
   * state resolution: the delta state section then carries every change up to `to` the timeline does not show.
   */
  hiddenStateChanges?: boolean;
}

/** One room's content; `E` is StoredEvent until {@link formatRoomContents} formats every room's events at once. */
export interface RoomContent<E = JsonObject> {
  timeline: Omit<Timeline, 'events'> & { events: E[] };
  /** State at the start of the timeline (delta or full, per the plan), filtered. */
  state: E[];
  /** With `use_state_after`: the state at the end of the timeline instead. */
  stateAfter: E[] | undefined;
  summary: RoomSummary;
}

const HERO_COUNT = 5;
/** State that decides whether a room has heroes (it has none while it has a name or a canonical alias). */
const SUMMARY_NAMING_TYPES: ReadonlySet<string> = new Set(['m.room.name', 'm.room.canonical_alias']);

export interface RoomContentDeps {
  sources: SyncSources;
  lazyMembers: LazyMemberCache;
}

/**
 * Builds the content of one room. `page` holds its events in `(from, to]` (newest `limit`, oldest first),
 * `visible` the ones the user may see (history visibility, ignored users) in the same order.
 */
export async function buildRoomContent(
  deps: RoomContentDeps,
  context: SyncContext,
  plan: RoomPlan,
  page: RoomEventsPage,
  visible: readonly StoredEvent[],
): Promise<RoomContent<StoredEvent>> {
  const { rooms } = deps.sources;
  const timelineEvents = filterEvents(context.filter.timeline, visible.map(withFilterFields), { keep: 'last' }).map(
    (item) => item.event,
  );
  // The state section describes the room just before the first event the client gets: events of the page it
  // may not see (history visibility) or asked not to (filter) still change the state it must start from.
  const first = timelineEvents[0];
  const startPosition = first ? first.streamOrdering - 1 : plan.to;
  const limited = page.limited;

  const needsStartState = plan.stateMode === 'full' || limited;
  const startState = needsStartState ? await rooms.getStateAtPosition(plan.roomId, startPosition) : [];
  const hidden = plan.stateMode === 'delta' && plan.hiddenStateChanges === true && context.since !== null;
  let stateEvents: StoredEvent[];
  if (plan.stateMode === 'full') {
    stateEvents = startState;
  } else if (hidden && context.since) {
    stateEvents = await hiddenStateDelta(deps, plan, { since: context.since.events, startPosition, limited, timelineEvents });
  } else if (limited && context.since) {
    const known = await rooms.getStateAtPosition(plan.roomId, Math.min(context.since.events, startPosition));
    stateEvents = stateDifference(known, startState);
  } else {
    stateEvents = [];
  }

  // Members change the counts and heroes; a name or canonical alias set or removed decides whether heroes come.
  const changesSummary = (event: StoredEvent) => isMember(event) || (event.stateKey !== null && SUMMARY_NAMING_TYPES.has(event.type));
  const summaryChanged = page.events.some(changesSummary) || stateEvents.some(changesSummary);
  let summary: RoomSummary = {};
  if (plan.forceSummary || summaryChanged) {
    const endState = needsStartState
      ? applyStateEvents(startState, page.events)
      : await rooms.getStateAtPosition(plan.roomId, plan.to);
    summary = roomSummary(endState, context.userId);
  }

  stateEvents = await selectStateEvents(deps, context, plan, {
    // Changes the timeline does not show are a gap too: every member event among them is kept.
    limited: limited || hidden,
    candidates: stateEvents,
    startState,
    timelineEvents,
    heroes: summary['m.heroes'] ?? [],
    startPosition,
  });

  let stateAfter: StoredEvent[] | undefined;
  if (context.useStateAfter) {
    const after = plan.stateMode === 'full' ? await rooms.getStateAtPosition(plan.roomId, plan.to) : await stateAfterDelta(deps, context, plan);
    stateAfter = filterEvents(context.filter.state, after.map(withFilterFields)).map((item) => item.event);
  }

  return { timeline: { events: timelineEvents, limited, prev_batch: page.prevBatch }, state: stateEvents, stateAfter, summary };
}

/** Formats the events of every room in one call (the formatter's per-call lookups are then shared). */
export async function formatRoomContents(
  deps: RoomContentDeps,
  context: SyncContext,
  contents: ReadonlyMap<string, RoomContent<StoredEvent>>,
): Promise<Map<string, RoomContent>> {
  const all: StoredEvent[] = [];
  for (const content of contents.values()) all.push(...content.timeline.events, ...content.state, ...(content.stateAfter ?? []));
  const formatted = await formatEvents(deps, context, all);
  let next = 0;
  const take = (events: readonly StoredEvent[]) => {
    const slice = formatted.slice(next, next + events.length);
    next += events.length;
    return slice;
  };
  const result = new Map<string, RoomContent>();
  for (const [roomId, content] of contents) {
    const timelineEvents = take(content.timeline.events);
    const state = take(content.state);
    const stateAfter = content.stateAfter ? take(content.stateAfter) : undefined;
    result.set(roomId, { timeline: { ...content.timeline, events: timelineEvents }, state, stateAfter, summary: content.summary });
  }
  return result;
}

/** Applies the state filter and lazy loading of members to the state section. */
async function selectStateEvents(
  deps: RoomContentDeps,
  context: SyncContext,
  plan: RoomPlan,
  input: {
    limited: boolean;
    candidates: StoredEvent[];
    startState: StoredEvent[];
    timelineEvents: StoredEvent[];
    heroes: readonly string[];
    startPosition: number;
  },
): Promise<StoredEvent[]> {
  const filter: RoomEventFilter = context.filter.state;
  const filtered = filterEvents(filter, input.candidates.map(withFilterFields)).map((item) => item.event);
  if (filter.lazy_load_members !== true) return filtered;

  // Lazy loading: member events only for the timeline's senders, the heroes and (when required) the user.
  const wanted = new Set<string>(input.timelineEvents.map((event) => event.sender));
  for (const hero of input.heroes) wanted.add(hero);
  if (plan.includeOwnMember) wanted.add(context.userId);
  // "When a sync is limited, the server MUST return membership events for events in the gap": the delta's
  // member events (everyone whose membership changed in the gap) are all kept, redundant or not.
  const gapMembers = plan.stateMode === 'delta' && input.limited;
  const kept = filtered.filter((event) => !isMember(event) || gapMembers || wanted.has(event.stateKey ?? ''));

  // Senders whose member event the state does not carry (an incremental sync) and that this device may not
  // have been sent yet (or all of them with include_redundant_members): look them up at the start of the timeline.
  const deviceKey = `${context.userId}|${context.deviceId ?? context.accessTokenId}`;
  const redundantAllowed = filter.include_redundant_members === true;
  const present = new Set(kept.filter(isMember).map((event) => event.stateKey ?? ''));
  const missing = [...wanted].filter(
    (userId) =>
      !present.has(userId) && (plan.stateMode === 'full' || redundantAllowed || !deps.lazyMembers.knows(deviceKey, plan.roomId, userId)),
  );
  if (missing.length > 0 && eventMatches(filter, { type: 'm.room.member' })) {
    const state = input.startState.length > 0 ? input.startState : await deps.sources.rooms.getStateAtPosition(plan.roomId, input.startPosition);
    for (const event of state) {
      if (isMember(event) && missing.includes(event.stateKey ?? '')) kept.push(event);
    }
  }

  const result = kept.filter(
    (event) =>
      !isMember(event) ||
      redundantAllowed ||
      plan.stateMode === 'full' ||
      gapMembers ||
      !deps.lazyMembers.wasSent(deviceKey, plan.roomId, event.stateKey ?? '', event.eventId),
  );
  const sentMembers = [...result, ...input.timelineEvents].filter(isMember);
  deps.lazyMembers.markSent(deviceKey, plan.roomId, sentMembers.map((event) => [event.stateKey ?? '', event.eventId]));
  return result;
}

/**
 * NOTSPEC: the state section of a room whose range holds changes the timeline cannot show (historical events,
 * state resolution): the changes since `since` up to the start of the timeline (when limited) and up to `to`,
 * minus the timeline's own events, the later value winning per key. Legacy `state` is "before the timeline", but
 * a change the timeline never shows has no other way to the client (Synapse's compromise too; `use_state_after`
 * clients get the exact state at the end).
 */
async function hiddenStateDelta(
  deps: RoomContentDeps,
  plan: RoomPlan,
  input: { since: number; startPosition: number; limited: boolean; timelineEvents: readonly StoredEvent[] },
): Promise<StoredEvent[]> {
  const { rooms } = deps.sources;
  const known = await rooms.getStateAtPosition(plan.roomId, input.since);
  const end = await rooms.getStateAtPosition(plan.roomId, plan.to);
  const inTimeline = new Set(input.timelineEvents.map((event) => event.eventId));
  const byKey = new Map<string, StoredEvent>();
  if (input.limited) {
    const start = await rooms.getStateAtPosition(plan.roomId, Math.max(input.since, input.startPosition));
    for (const event of stateDifference(known, start)) byKey.set(stateKeyOf(event), event);
  }
  for (const event of stateDifference(known, end)) if (!inTimeline.has(event.eventId)) byKey.set(stateKeyOf(event), event);
  return [...byKey.values()];
}

/** State entries of `after` that `before` does not hold (same key with another event, or a new key). */
export function stateDifference(before: readonly StoredEvent[], after: readonly StoredEvent[]): StoredEvent[] {
  const known = new Set(before.map((event) => event.eventId));
  return after.filter((event) => !known.has(event.eventId));
}

/** `state` with the state events of `events` applied in order (accepted ones only). */
export function applyStateEvents(state: readonly StoredEvent[], events: readonly StoredEvent[]): StoredEvent[] {
  const byKey = new Map(state.map((event) => [stateKeyOf(event), event]));
  for (const event of events) {
    if (event.stateKey !== null && event.rejectedReason === null) byKey.set(stateKeyOf(event), event);
  }
  return [...byKey.values()];
}

async function stateAfterDelta(deps: RoomContentDeps, context: SyncContext, plan: RoomPlan): Promise<StoredEvent[]> {
  const { rooms } = deps.sources;
  const end = await rooms.getStateAtPosition(plan.roomId, plan.to);
  if (!context.since) return end;
  return stateDifference(await rooms.getStateAtPosition(plan.roomId, context.since.events), end);
}

/**
 * The member counts and, only when the room has neither a name nor a canonical alias (clients then name it after
 * them), `m.heroes`: up to 5 joined or invited members other than the user, by stream order; left and banned ones
 * when there are none. Lazy loading sends the heroes' member events, so a named room's are not sent for nothing.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync_response-200_roomsummary
 */
export function roomSummary(state: readonly StoredEvent[], userId: string): RoomSummary {
  const members = state.filter(isMember).sort((a, b) => a.streamOrdering - b.streamOrdering);
  const membershipOf = (event: StoredEvent) => (event.pdu.content as { membership?: unknown }).membership;
  const counts: RoomSummary = {
    'm.joined_member_count': members.filter((event) => membershipOf(event) === 'join').length,
    'm.invited_member_count': members.filter((event) => membershipOf(event) === 'invite').length,
  };
  if (hasNameOrAlias(state)) return counts;
  const others = (events: StoredEvent[]) => events.map((event) => event.stateKey ?? '').filter((id) => id !== userId);
  let heroes = others(members.filter((event) => ['join', 'invite'].includes(membershipOf(event) as string)));
  if (heroes.length === 0) {
    heroes = others(members.filter((event) => ['leave', 'ban'].includes(membershipOf(event) as string)));
  }
  return { 'm.heroes': heroes.slice(0, HERO_COUNT), ...counts };
}

/** Whether `m.room.name` has a non-empty `name` or `m.room.canonical_alias` a non-empty `alias`. */
function hasNameOrAlias(state: readonly StoredEvent[]): boolean {
  const nonEmpty = (type: string, key: string) =>
    state.some((event) => event.type === type && event.stateKey === '' && isNonEmptyString((event.pdu.content as Record<string, unknown>)[key]));
  return nonEmpty('m.room.name', 'name') || nonEmpty('m.room.canonical_alias', 'alias');
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/** Client events (or raw PDUs for `event_format: federation`), cut to `event_fields`. */
export async function formatEvents(deps: RoomContentDeps, context: SyncContext, events: readonly StoredEvent[]): Promise<JsonObject[]> {
  if (events.length === 0) return [];
  const { eventFields, eventFormat } = context.filter;
  const formatted: JsonObject[] =
    eventFormat === 'federation'
      ? events.map((event) => event.pdu as JsonObject)
      : ((await deps.sources.rooms.toClientEvents(events, {
          userId: context.userId,
          deviceId: context.deviceId,
          accessTokenId: context.accessTokenId,
        })) as JsonObject[]);
  return eventFields ? formatted.map((event) => pickEventFields(event, eventFields) as JsonObject) : formatted;
}

function isMember(event: StoredEvent): boolean {
  return event.type === 'm.room.member' && event.stateKey !== null;
}

function stateKeyOf(event: StoredEvent): string {
  return `${event.type}\u0000${event.stateKey ?? ''}`;
}

/** The fields the filter functions read, next to the event they came from. */
function withFilterFields(event: StoredEvent) {
  return { event, type: event.type, sender: event.sender, roomId: event.roomId, content: event.pdu.content as JsonObject };
}
