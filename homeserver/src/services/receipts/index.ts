/**
 * Read receipts (m.read, m.read.private, threaded), read markers, and MSC4089 delivery receipts.
 * This file is the domain's only public door: http/ and other domains import from here.
 *
 * - HTTP: `sendReceipt` (POST /rooms/{roomId}/receipt/{receiptType}/{eventId}) and `setReadMarkers`
 *   (POST /rooms/{roomId}/read_markers).
 * - sync: `getChanges(userId, from, to, roomIds)` gives one `m.receipt` EDU per room with the receipts that changed in
 *   `(from, to]` as the viewer may see them (`m.read.private` only their own, delivery receipts only for events they
 *   sent); `currentPosition()` the `receipts` stream's head.
 * - push (unread counts): `getLatestReadReceipt(userId, roomId, threadId?)` and `getReadReceipts(userId, roomId)`.
 *
 * Linearised receipts only move forward (by the receipted event's stream position) per (user, room, thread, type);
 * delivery receipts are one per (event, recipient). See spec/receipts-delivery.md.
 * https://spec.matrix.org/v1.19/client-server-api/#receipts
 */
import type { CoreDeps } from '../deps.js';
import { createReceiptsServiceImpl } from './service.js';
import type { ReceiptsCallbacks, ReceiptsService } from './types.js';

export type * from './types.js';
export { RECEIPT_TYPES, DELIVERY_RECEIPT_TYPE, FULLY_READ_TYPE } from './receipt-types.js';

/** Builds the receipts service; `callbacks` come from services/registry.ts. */
export function createReceiptsService(deps: CoreDeps, callbacks: ReceiptsCallbacks): ReceiptsService {
  return createReceiptsServiceImpl(deps, callbacks);
}
