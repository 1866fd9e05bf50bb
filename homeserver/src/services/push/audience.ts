/**
 * Who an event summary counts for: the local users joined to its room at its stream ordering, from the
 * membership changes push records for local users (joined from a join on, until the next leave, ban, invite or
 * knock). Counting a summary for a user means cutting the user's ranges to their joined spans.
 */
import type { MemberChange, NotificationRange } from '../../storage/index.js';

// NOTSPEC: membership by stream order, not the state at each event: equal in a linear room; see spec/notspec.md.
/** Joined at stream orderings in `[from, until)`; `until` null: still joined. */
export interface JoinedSpan {
  from: number;
  until: number | null;
}

/** The joined spans per room of a user's membership changes (in any order). */
export function joinedSpans(changes: readonly MemberChange[]): Map<string, JoinedSpan[]> {
  const sorted = [...changes].sort((a, b) => (a.roomId === b.roomId ? a.streamOrdering - b.streamOrdering : a.roomId < b.roomId ? -1 : 1));
  const spans = new Map<string, JoinedSpan[]>();
  for (const change of sorted) {
    const room = spans.get(change.roomId) ?? [];
    spans.set(change.roomId, room);
    const open = room.at(-1);
    const isOpen = open !== undefined && open.until === null;
    if (change.joined && !isOpen) room.push({ from: change.streamOrdering, until: null });
    else if (!change.joined && isOpen) open.until = change.streamOrdering;
  }
  return spans;
}

/** `range` (after, upTo] cut to `span`; null when they do not meet. */
function cut(range: NotificationRange, span: JoinedSpan): NotificationRange | null {
  const after = Math.max(range.after, span.from - 1);
  const spanEnd = span.until === null ? undefined : span.until - 1;
  const upTo = range.upTo === undefined ? spanEnd : spanEnd === undefined ? range.upTo : Math.min(range.upTo, spanEnd);
  if (upTo !== undefined && upTo <= after) return null;
  const result: NotificationRange = { roomId: range.roomId, after };
  if (upTo !== undefined) result.upTo = upTo;
  if (range.threadId !== undefined) result.threadId = range.threadId;
  return result;
}

/** The parts of `ranges` where the user was joined. */
export function cutToSpans(ranges: readonly NotificationRange[], spans: ReadonlyMap<string, readonly JoinedSpan[]>): NotificationRange[] {
  return ranges.flatMap((range) =>
    (spans.get(range.roomId) ?? []).map((span) => cut(range, span)).filter((part): part is NotificationRange => part !== null),
  );
}

/** Every joined span as a range. */
export function spanRanges(spans: ReadonlyMap<string, readonly JoinedSpan[]>): NotificationRange[] {
  return cutToSpans([...spans.keys()].map((roomId) => ({ roomId, after: 0 })), spans);
}
