/**
 * Room pagination tokens (`start`/`end` of GET /messages, `prev_batch` of /sync).
 *
 * A token names a point between events on the `events` stream: `s<N>` means "after the event at stream position
 * N". Back-pagination from `s<N>` returns events at positions <= N; forward pagination returns those > N.
 * Anything after a `_` is ignored, so a sync token that starts with `s<eventsPosition>_` is also a valid `from`.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
 */

/** The token for the point just after stream position `position`. */
export function roomPaginationToken(position: number): string {
  return `s${Math.max(0, Math.trunc(position))}`;
}

/** The stream position a token names, or undefined when it is not a pagination token. */
export function parseRoomPaginationToken(token: string): number | undefined {
  const match = /^s(\d{1,15})(?:_.*)?$/s.exec(token);
  return match ? Number(match[1]) : undefined;
}
