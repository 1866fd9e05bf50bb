/**
 * The receipts service: POST /receipt, POST /read_markers, and the reads for sync and push.
 * https://spec.matrix.org/v1.19/client-server-api/#receipts
 */
import { MatrixError } from '../../matrix-error.js';
import type { StoredEvent } from '../../storage/index.js';
import type { CoreDeps } from '../deps.js';
import { buildReceiptContent } from './content.js';
import {
  DELIVERY_RECEIPT_TYPE,
  FULLY_READ_TYPE,
  PRIVATE_RECEIPT_TYPES,
  READ_PRIVATE_TYPE,
  READ_RECEIPT_TYPES,
  READ_TYPE,
  RECEIPT_TYPES,
} from './receipt-types.js';
import { checkThreadId } from './threads.js';
import type { ReadReceipt, ReceiptsCallbacks, ReceiptsService, ReceiptUpdate } from './types.js';

export function createReceiptsServiceImpl(deps: CoreDeps, callbacks: ReceiptsCallbacks): ReceiptsService {
  const { storage, notifier, clock } = deps;

  async function requireJoined(userId: string, roomId: string): Promise<void> {
    if (!(await callbacks.isJoined(userId, roomId))) throw new MatrixError(403, 'M_FORBIDDEN', 'You are not joined to this room');
  }

  /** The accepted, non-outlier event `eventId` of `roomId`, or 404. */
  async function requireEvent(roomId: string, eventId: string): Promise<StoredEvent> {
    const [event] = await storage.events.getEvents([eventId]);
    if (event === undefined || event.roomId !== roomId || event.outlier || event.rejectedReason !== null) {
      throw new MatrixError(404, 'M_NOT_FOUND', 'Unknown event in this room');
    }
    return event;
  }

  /** Stores a linearised receipt if it moves forward; publishes it (to the room, or to its owner if private). */
  async function storeReadReceipt(userId: string, event: StoredEvent, receiptType: string, threadId: string | null): Promise<void> {
    const key = { roomId: event.roomId, receiptType, userId, threadId };
    const position = await storage.transaction(async (tx) => {
      const existing = await tx.ephemeral.getReceipt(key);
      // "Up to" markers never move back: an older or repeated receipt is accepted and ignored.
      if (existing !== null && existing.eventStreamOrdering >= event.streamOrdering) return null;
      const streamId = await tx.streams.next('receipts');
      await tx.ephemeral.upsertReceipt({ ...key, eventId: event.eventId, eventStreamOrdering: event.streamOrdering, ts: clock.now(), streamId });
      return streamId;
    });
    if (position === null) return;
    await callbacks.onReadReceipt?.(userId, { roomId: event.roomId, threadId, eventId: event.eventId });
    const audience = PRIVATE_RECEIPT_TYPES.includes(receiptType) ? { userIds: [userId] } : { roomIds: [event.roomId] };
    await notifier.publish({ stream: 'receipts', position, ...audience });
  }

  /** Stores an MSC4089 delivery receipt once per (event, recipient); only the event's sender is told. */
  async function storeDeliveryReceipt(userId: string, event: StoredEvent): Promise<void> {
    // NOTSPEC (MSC4089 is silent): a receipt for one's own event says nothing to anyone; accepted and ignored.
    if (event.sender === userId) return;
    const position = await storage.transaction(async (tx) => {
      if ((await tx.ephemeral.getDeliveryReceipt(event.eventId, userId)) !== null) return null;
      const streamId = await tx.streams.next('receipts');
      const record = { roomId: event.roomId, eventId: event.eventId, userId, eventSender: event.sender, ts: clock.now(), streamId };
      return (await tx.ephemeral.insertDeliveryReceipt(record)) ? streamId : null;
    });
    if (position !== null) await notifier.publish({ stream: 'receipts', position, userIds: [event.sender] });
  }

  async function moveFullyRead(userId: string, event: StoredEvent): Promise<void> {
    const currentId = (await callbacks.getFullyRead?.(userId, event.roomId)) ?? null;
    if (currentId !== null && currentId !== event.eventId) {
      const [current] = await storage.events.getEvents([currentId]);
      if (current !== undefined && current.streamOrdering >= event.streamOrdering) return;
    } else if (currentId === event.eventId) {
      return;
    }
    await callbacks.setFullyRead(userId, event.roomId, event.eventId);
  }

  function toReadReceipt(record: { receiptType: string; eventId: string; eventStreamOrdering: number; threadId: string | null; ts: number }): ReadReceipt {
    const { receiptType, eventId, eventStreamOrdering, threadId, ts } = record;
    return { receiptType, eventId, eventStreamOrdering, threadId, ts };
  }

  return {
    async sendReceipt(userId, roomId, receiptType, eventId, options = {}) {
      if (!RECEIPT_TYPES.includes(receiptType)) {
        throw new MatrixError(400, 'M_INVALID_PARAM', `Receipt type must be one of ${RECEIPT_TYPES.join(', ')}`);
      }
      if (options.threadId !== undefined && options.threadId === '') {
        throw new MatrixError(400, 'M_INVALID_PARAM', 'thread_id field must be a non-empty string');
      }
      if (options.threadId !== undefined && receiptType === FULLY_READ_TYPE) {
        throw new MatrixError(400, 'M_INVALID_PARAM', 'thread_id is not allowed for m.fully_read');
      }
      await requireJoined(userId, roomId);
      const event = await requireEvent(roomId, eventId);
      if (receiptType === FULLY_READ_TYPE) return moveFullyRead(userId, event);
      // NOTSPEC: delivery receipts are per event, so a thread_id (clients add one to every receipt) is ignored.
      if (receiptType === DELIVERY_RECEIPT_TYPE) return storeDeliveryReceipt(userId, event);
      const threadId = options.threadId ?? null;
      if (threadId !== null) await checkThreadId(storage, event, threadId);
      await storeReadReceipt(userId, event, receiptType, threadId);
    },

    async setReadMarkers(userId, roomId, request) {
      await requireJoined(userId, roomId);
      // Resolve every event before writing anything, so a bad one leaves no partial update.
      const fullyRead = request.fullyRead === undefined ? undefined : await requireEvent(roomId, request.fullyRead);
      const read = request.read === undefined ? undefined : await requireEvent(roomId, request.read);
      const readPrivate = request.readPrivate === undefined ? undefined : await requireEvent(roomId, request.readPrivate);
      if (fullyRead !== undefined) await moveFullyRead(userId, fullyRead);
      if (read !== undefined) await storeReadReceipt(userId, read, READ_TYPE, null);
      if (readPrivate !== undefined) await storeReadReceipt(userId, readPrivate, READ_PRIVATE_TYPE, null);
    },

    async getChanges(userId, from, to, roomIds): Promise<ReceiptUpdate[]> {
      if (roomIds.length === 0 || to <= from) return [];
      const receipts = await storage.ephemeral.getReceiptsChanged({ roomIds, from, to, viewerId: userId, privateTypes: PRIVATE_RECEIPT_TYPES });
      const deliveries = await storage.ephemeral.getDeliveryReceiptsChanged({ eventSender: userId, roomIds, from, to });
      return buildReceiptContent(receipts, deliveries);
    },

    currentPosition: () => storage.streams.current('receipts'),

    async getLatestReadReceipt(userId, roomId, threadId) {
      const wanted = threadId ?? null;
      let latest: ReadReceipt | null = null;
      for (const record of await storage.ephemeral.getUserReceipts(userId, roomId, READ_RECEIPT_TYPES)) {
        if (record.threadId !== wanted) continue;
        if (latest === null || record.eventStreamOrdering > latest.eventStreamOrdering) latest = toReadReceipt(record);
      }
      return latest;
    },

    async getReadReceipts(userId, roomId) {
      return (await storage.ephemeral.getUserReceipts(userId, roomId, READ_RECEIPT_TYPES)).map(toReadReceipt);
    },
  };
}
