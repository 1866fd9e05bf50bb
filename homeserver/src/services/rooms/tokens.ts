/**
 * Room pagination tokens (`start`/`end` of GET /messages and /context, `prev_batch` of /sync).
 *
 * Two kinds, both naming a point between events:
 * - `s<N>`: "after the event at stream position N" (sync's `prev_batch`; anything after a `_` is ignored, so a
 *   sync token that starts with `s<eventsPosition>_` is also a valid `from`). Stream order is arrival order.
 * - `t<D>-<N>`: a point of the room's topological order, after the event with depth D and stream position N
 *   (GET /messages and /context return these; NOTSPEC: tokens are opaque in the spec, this is Synapse's shape). Back-pagination returns events with
 *   (depth, stream) <= (D, N), forward pagination those after.
 * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
 */

/** A parsed room token. */
export type RoomPosition = { kind: 'stream'; stream: number } | { kind: 'topological'; depth: number; stream: number };

/** The token for the point just after stream position `position`. */
export function roomPaginationToken(position: number): string {
  return `s${Math.max(0, Math.trunc(position))}`;
}

/** The token for the topological point just after (depth, stream). */
export function topologicalToken(depth: number, stream: number): string {
  return `t${Math.max(0, Math.trunc(depth))}-${Math.max(0, Math.trunc(stream))}`;
}

/** A room token of either kind, or undefined when it is not one. */
export function parseRoomPosition(token: string): RoomPosition | undefined {
  const topological = /^t(\d{1,16})-(\d{1,15})$/.exec(token);
  if (topological) {
    const depth = Number(topological[1]);
    if (!Number.isSafeInteger(depth)) return undefined;
    return { kind: 'topological', depth, stream: Number(topological[2]) };
  }
  const match = /^s(\d{1,15})(?:_.*)?$/s.exec(token);
  return match ? { kind: 'stream', stream: Number(match[1]) } : undefined;
}

/**
 * The stream position a token names (a topological token: the stream position of its event), or undefined
 * when it is not a pagination token. For the readers that walk by stream (relations, threads, members `at`).
 */
export function parseRoomPaginationToken(token: string): number | undefined {
  return parseRoomPosition(token)?.stream;
}
