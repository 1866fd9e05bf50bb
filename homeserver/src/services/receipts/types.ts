/**
 * The receipts domain's public types (import them from index.ts).
 */
import type { JsonObject } from '@parley/federation';

/** What the receipts domain needs from other domains (wired in services/registry.ts). */
export interface ReceiptsCallbacks {
  /** Whether `userId` is currently joined to `roomId`. */
  isJoined(userId: string, roomId: string): Promise<boolean>;
  /**
   * Stores `{ event_id }` as the user's `m.fully_read` room account data and publishes it on the account data
   * stream. Must bypass the rule that forbids clients to set `m.fully_read` directly.
   */
  setFullyRead(userId: string, roomId: string, eventId: string): Promise<void>;
  /** The event ID of the user's current `m.fully_read` marker, if any: the marker then only moves forward. */
  getFullyRead?(userId: string, roomId: string): Promise<string | null>;
  /** Told after an `m.read`/`m.read.private` receipt moved forward (push keeps its read positions with it). */
  onReadReceipt?(userId: string, receipt: { roomId: string; threadId: string | null; eventId: string }): Promise<void>;
}

/** Options of POST /receipt. */
export interface SendReceiptOptions {
  /** `thread_id` from the body: `main`, a thread root's event ID, or absent for an unthreaded receipt. */
  threadId?: string;
}

/** The body of POST /read_markers. */
export interface ReadMarkersRequest {
  fullyRead?: string;
  read?: string;
  readPrivate?: string;
}

/** A read receipt as the push domain needs it for unread counts. */
export interface ReadReceipt {
  receiptType: string;
  eventId: string;
  /** The receipted event's `events` stream position: everything at or before it counts as read. */
  eventStreamOrdering: number;
  /** null for unthreaded; `main` or a thread root's event ID. */
  threadId: string | null;
  ts: number;
}

/** One room's `m.receipt` EDU, as it goes into a sync response's `ephemeral.events`. */
export interface ReceiptUpdate {
  roomId: string;
  event: { type: 'm.receipt'; content: JsonObject };
}

export interface ReceiptsService {
  /**
   * POST /rooms/{roomId}/receipt/{receiptType}/{eventId}. 400 M_INVALID_PARAM for an unknown type or a bad
   * `thread_id`, 403 M_FORBIDDEN when not joined, 404 M_NOT_FOUND for an event not in the room. An older (or
   * duplicate) receipt than the stored one is accepted and ignored.
   */
  sendReceipt(userId: string, roomId: string, receiptType: string, eventId: string, options?: SendReceiptOptions): Promise<void>;
  /** POST /rooms/{roomId}/read_markers: checks every event first, then writes; nothing is written on an error. */
  setReadMarkers(userId: string, roomId: string, request: ReadMarkersRequest): Promise<void>;
  /** The `m.receipt` EDU per room among `roomIds` with what changed in `(from, to]`, as `userId` may see it. */
  getChanges(userId: string, from: number, to: number, roomIds: readonly string[]): Promise<ReceiptUpdate[]>;
  /** The `receipts` stream's current position. */
  currentPosition(): Promise<number>;
  /**
   * The user's read-up-to receipt in a room for one thread key (`undefined`: the unthreaded receipt; `main` or a
   * root's event ID: that threaded one): whichever of `m.read` and `m.read.private` is further ahead, or null.
   */
  getLatestReadReceipt(userId: string, roomId: string, threadId?: string): Promise<ReadReceipt | null>;
  /** All the user's `m.read` and `m.read.private` receipts in a room (every thread key). */
  getReadReceipts(userId: string, roomId: string): Promise<ReadReceipt[]>;
}
