/**
 * Building `m.receipt` EDU content: `{ <event_id>: { <receipt_type>: { <user_id>: { ts, thread_id? } } } }`.
 * https://spec.matrix.org/v1.19/client-server-api/#mreceipt
 */
import type { JsonObject } from '@parley/federation';
import type { DeliveryReceiptRecord, ReceiptRecord } from '../../storage/index.js';
import { DELIVERY_RECEIPT_TYPE } from './receipt-types.js';
import type { ReceiptUpdate } from './types.js';

type ReceiptContent = Record<string, Record<string, Record<string, JsonObject>>>;

function add(content: ReceiptContent, eventId: string, receiptType: string, userId: string, receipt: JsonObject): void {
  const byType = (content[eventId] ??= {});
  const byUser = (byType[receiptType] ??= {});
  byUser[userId] = receipt;
}

/** One `m.receipt` EDU per room, receipts in stream order so a later one for the same key wins. */
export function buildReceiptContent(receipts: readonly ReceiptRecord[], deliveries: readonly DeliveryReceiptRecord[]): ReceiptUpdate[] {
  const byRoom = new Map<string, ReceiptContent>();
  const contentOf = (roomId: string): ReceiptContent => {
    let content = byRoom.get(roomId);
    if (content === undefined) byRoom.set(roomId, (content = {}));
    return content;
  };
  for (const receipt of receipts) {
    const body: JsonObject = receipt.threadId === null ? { ts: receipt.ts } : { ts: receipt.ts, thread_id: receipt.threadId };
    add(contentOf(receipt.roomId), receipt.eventId, receipt.receiptType, receipt.userId, body);
  }
  for (const delivery of deliveries) {
    add(contentOf(delivery.roomId), delivery.eventId, DELIVERY_RECEIPT_TYPE, delivery.userId, { ts: delivery.ts });
  }
  return [...byRoom.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([roomId, content]) => ({ roomId, event: { type: 'm.receipt', content: content as JsonObject } }));
}
