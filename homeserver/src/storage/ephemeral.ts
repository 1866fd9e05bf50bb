/**
 * Repository interface: typing, receipts (incl. MSC4089 delivery receipts) and presence.
 * Re-exported by storage/index.ts; implemented by knex/ephemeral.repo.ts for both dialects.
 *
 * The repository stores and selects; the services (typing, receipts, presence) decide when a change is a change,
 * allocate stream positions with `tx.streams.next(...)` and pass them in.
 */

// ---------------------------------------------------------------------------------------------
// Typing

/** One user typing in one room until `expiresTs`. */
export interface TypingEntry {
  roomId: string;
  userId: string;
  expiresTs: number;
}

export interface TypingRepository {
  /** The entry of `userId` in `roomId`, expired or not, or null. */
  getTyping(roomId: string, userId: string): Promise<TypingEntry | null>;
  /** Inserts or extends an entry. */
  upsertTyping(entry: TypingEntry): Promise<void>;
  /**
   * Removes an entry; with `expiredAt`, only if it has expired by then (so a concurrent refresh survives a sweep).
   * Returns whether a row was removed.
   */
  deleteTyping(roomId: string, userId: string, options?: { expiredAt?: number }): Promise<boolean>;
  /** Records that the typing list of `roomId` changed at `typing` stream position `streamId`. */
  markTypingRoomChanged(roomId: string, streamId: number): Promise<void>;
  /** Of `roomIds`, those whose typing list changed with `from < position <= to`. */
  getTypingRoomsChanged(roomIds: readonly string[], from: number, to: number): Promise<string[]>;
  /** Users typing (not expired at `now`) in each of `roomIds`; rooms with nobody typing are absent. Sorted. */
  getTypingUsers(roomIds: readonly string[], now: number): Promise<Map<string, string[]>>;
  /** Entries expired at `now`, oldest first, at most `limit`. */
  getExpiredTyping(now: number, limit: number): Promise<TypingEntry[]>;
  /** The earliest `expiresTs` of any entry, or null when nobody is typing. */
  getNextTypingExpiry(): Promise<number | null>;
}

// ---------------------------------------------------------------------------------------------
// Receipts

/** Thread of a linearised receipt: null for unthreaded, `main`, or a thread root's event ID. */
export type ReceiptThreadId = string | null;

/** A linearised ("up to") receipt, e.g. `m.read`, `m.read.private`. */
export interface ReceiptRecord {
  roomId: string;
  receiptType: string;
  userId: string;
  threadId: ReceiptThreadId;
  eventId: string;
  /** The receipted event's `events` stream position. */
  eventStreamOrdering: number;
  ts: number;
  /** Position on the `receipts` stream. */
  streamId: number;
}

/** The key of one linearised receipt. */
export type ReceiptKey = Pick<ReceiptRecord, 'roomId' | 'receiptType' | 'userId' | 'threadId'>;

/** An MSC4089 delivery receipt: `userId`'s client received and decrypted `eventId`, sent by `eventSender`. */
export interface DeliveryReceiptRecord {
  roomId: string;
  eventId: string;
  userId: string;
  eventSender: string;
  ts: number;
  streamId: number;
}

export interface ReceiptRepository {
  getReceipt(key: ReceiptKey): Promise<ReceiptRecord | null>;
  /** Inserts or replaces the receipt with the same key. */
  upsertReceipt(receipt: ReceiptRecord): Promise<void>;
  /** The user's receipts of the given types in a room, every thread. */
  getUserReceipts(userId: string, roomId: string, receiptTypes: readonly string[]): Promise<ReceiptRecord[]>;
  /**
   * Receipts in `roomIds` with `from < streamId <= to`, ordered by streamId. Receipt types listed in
   * `privateTypes` are returned only when their user is `viewerId`.
   */
  getReceiptsChanged(query: {
    roomIds: readonly string[];
    from: number;
    to: number;
    viewerId: string;
    privateTypes: readonly string[];
  }): Promise<ReceiptRecord[]>;

  /** Inserts a delivery receipt unless `(eventId, userId)` already has one; returns whether it was inserted. */
  insertDeliveryReceipt(receipt: DeliveryReceiptRecord): Promise<boolean>;
  getDeliveryReceipt(eventId: string, userId: string): Promise<DeliveryReceiptRecord | null>;
  /** Delivery receipts for events sent by `eventSender`, in `roomIds`, with `from < streamId <= to`. */
  getDeliveryReceiptsChanged(query: {
    eventSender: string;
    roomIds: readonly string[];
    from: number;
    to: number;
  }): Promise<DeliveryReceiptRecord[]>;
}

// ---------------------------------------------------------------------------------------------
// Presence

/** The presence states of the spec. https://spec.matrix.org/v1.19/client-server-api/#presence */
export type PresenceState = 'online' | 'unavailable' | 'offline';

/** A user's stored presence. */
export interface PresenceRecord {
  userId: string;
  state: PresenceState;
  statusMsg: string | null;
  lastActiveTs: number;
  /** Last /sync that kept the user online, or null. */
  lastSyncTs: number | null;
  /** Position on the `presence` stream of the last change others should see. */
  streamId: number;
}

export interface PresenceRepository {
  /** The stored presence of each of `userIds` that has any. */
  getPresence(userIds: readonly string[]): Promise<PresenceRecord[]>;
  /** Inserts or replaces a user's presence. */
  upsertPresence(record: PresenceRecord): Promise<void>;
  /** Updates only the activity timestamps (no stream change); unknown users are ignored. */
  touchPresence(userId: string, times: { lastActiveTs?: number; lastSyncTs?: number }): Promise<void>;
  /** Presence of `userIds` with `from < streamId <= to`. */
  getPresenceChanged(userIds: readonly string[], from: number, to: number): Promise<PresenceRecord[]>;
  /**
   * Users whose presence should time out: `online` and inactive since `idleBefore`, or not `offline` and neither
   * syncing nor active since `offlineBefore`. At most `limit`.
   */
  getStalePresence(query: { idleBefore: number; offlineBefore: number; limit: number }): Promise<PresenceRecord[]>;
}

/** Everything of this area, as `storage.ephemeral`. */
export interface EphemeralStore extends TypingRepository, ReceiptRepository, PresenceRepository {}
