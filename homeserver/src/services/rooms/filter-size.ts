/**
 * The size bound on inline RoomEventFilters of /messages and /context (`limits.filter_max_bytes`), the same as
 * /sync's and POST /user/{userId}/filter's.
 * https://spec.matrix.org/v1.19/client-server-api/#filtering
 */
import { checkFilterSize } from '../../json-input.js';
import type { RoomsContext } from './context.js';
import type { RoomEventFilter } from './types.js';

/** 400 `M_TOO_LARGE` when the filter's JSON is longer than `limits.filter_max_bytes` (UTF-8). */
export function checkRoomFilterSize(ctx: RoomsContext, filter: RoomEventFilter | undefined): void {
  if (filter === undefined) return;
  checkFilterSize(JSON.stringify(filter), ctx.deps.config.limits.filter_max_bytes);
}
