/**
 * History visibility: which events a user may see, decided by the room state at each event.
 * https://spec.matrix.org/v1.19/client-server-api/#history-visibility
 */
import { stateKeyString } from '@parley/federation';
import type { Storage, StoredEvent } from '../../storage/index.js';
import type { RoomsContext } from './context.js';
import { withoutUnappliedRedactions } from './redaction.js';
import { loadGroups } from './state.js';

export type HistoryVisibility = 'world_readable' | 'shared' | 'invited' | 'joined';

const KNOWN: ReadonlySet<string> = new Set(['world_readable', 'shared', 'invited', 'joined']);
const HISTORY_VISIBILITY = stateKeyString('m.room.history_visibility', '');

/** Absent or unknown values count as `shared`. */
export function historyVisibilityOf(content: Readonly<Record<string, unknown>> | undefined): HistoryVisibility {
  const value = content?.history_visibility;
  return typeof value === 'string' && KNOWN.has(value) ? (value as HistoryVisibility) : 'shared';
}

/** What the rules need about one state: the visibility setting and the user's membership. */
interface VisibilityState {
  visibility: HistoryVisibility;
  membership: string | null;
}

/**
 * The events of `events` that `userId` may see, in order. The state *at* each event decides; for the user's own
 * member events and for history visibility events, the state before or after the event may allow it. Redactions
 * that redacted nothing are never shown (redaction.ts).
 */
export async function filterEventsForUser(
  ctx: RoomsContext,
  storage: Storage,
  userId: string,
  events: readonly StoredEvent[],
): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const refs = await storage.roomState.getEventState(events.map((event) => event.eventId));
  const groupIds = new Set<number>();
  for (const ref of refs.values()) groupIds.add(ref.beforeGroup).add(ref.afterGroup);
  const states = await describeGroups(ctx, storage, userId, [...groupIds]);
  // The user's latest join per room, read once (all rooms together) when the first event needs it.
  let latestJoins: Map<string, number> | undefined;
  const latestJoin = async (roomId: string): Promise<number> => {
    if (latestJoins === undefined) {
      latestJoins = new Map();
      for (const change of await storage.roomState.getMembershipChanges(userId, 0, Number.MAX_SAFE_INTEGER)) {
        if (change.membership === 'join') latestJoins.set(change.roomId, Math.max(latestJoins.get(change.roomId) ?? -1, change.streamOrdering));
      }
    }
    return latestJoins.get(roomId) ?? -1;
  };

  const visible: StoredEvent[] = [];
  for (const event of events) {
    const ref = refs.get(event.eventId);
    if (ref === undefined) continue;
    const candidates = [states.get(ref.beforeGroup)];
    const bothSides = (event.type === 'm.room.member' && event.stateKey === userId) || event.type === 'm.room.history_visibility';
    if (bothSides) candidates.push(states.get(ref.afterGroup));
    let allowed = false;
    for (const state of candidates) {
      if (state === undefined || allowed) continue;
      allowed = await allowedBy(state, event, async () => (await latestJoin(event.roomId)) > event.streamOrdering);
    }
    if (allowed) visible.push(event);
  }
  return withoutUnappliedRedactions(storage, visible);
}

/** The spec's five rules, in order. */
async function allowedBy(state: VisibilityState, _event: StoredEvent, joinedLater: () => Promise<boolean>): Promise<boolean> {
  if (state.visibility === 'world_readable') return true;
  if (state.membership === 'join') return true;
  if (state.visibility === 'shared' && (await joinedLater())) return true;
  if (state.membership === 'invite' && state.visibility === 'invited') return true;
  return false;
}

async function describeGroups(ctx: RoomsContext, storage: Storage, userId: string, groupIds: readonly number[]): Promise<Map<number, VisibilityState>> {
  const maps = await loadGroups(storage, ctx.groups, groupIds);
  const memberKey = stateKeyString('m.room.member', userId);
  const wanted = new Set<string>();
  for (const state of maps.values()) {
    const visibilityId = state.get(HISTORY_VISIBILITY);
    const memberId = state.get(memberKey);
    if (visibilityId) wanted.add(visibilityId);
    if (memberId) wanted.add(memberId);
  }
  const events = new Map((await storage.events.getEvents([...wanted])).map((event) => [event.eventId, event]));
  const described = new Map<number, VisibilityState>();
  for (const [id, state] of maps) {
    const visibilityEvent = events.get(state.get(HISTORY_VISIBILITY) ?? '');
    const memberEvent = events.get(state.get(memberKey) ?? '');
    const membership = memberEvent?.pdu.content.membership;
    described.set(id, {
      visibility: historyVisibilityOf(visibilityEvent?.pdu.content),
      membership: typeof membership === 'string' ? membership : null,
    });
  }
  return described;
}
