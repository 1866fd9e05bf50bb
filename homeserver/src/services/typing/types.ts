/**
 * The typing domain's public types (import them from index.ts).
 */
/** What the typing domain needs from other domains (wired in services/registry.ts). */
export interface TypingCallbacks {
  /** Whether `userId` is currently joined to `roomId`. */
  isJoined(userId: string, roomId: string): Promise<boolean>;
}

/** Tunables. */
export interface TypingOptions {
  /** Longest accepted `timeout`; longer ones are capped. Default 120 s. */
  maxTimeoutMs?: number;
  /** Used when `typing` is true and `timeout` is absent. Default 30 s. */
  defaultTimeoutMs?: number;
  /**
   * How often the expiry sweep runs at the latest, picking up other processes' entries too. 0 disables the timer
   * (tests call {@link TypingService.expireTyping} themselves). Default 5 s.
   */
  sweepIntervalMs?: number;
}

/** The body of PUT /rooms/{roomId}/typing/{userId}. */
export interface TypingRequest {
  typing: boolean;
  /** Milliseconds; only read when `typing` is true. */
  timeout?: number;
}

/** One room's `m.typing` EDU, as it goes into a sync response's `ephemeral.events`. */
export interface TypingUpdate {
  roomId: string;
  event: { type: 'm.typing'; content: { user_ids: string[] } };
}

export interface TypingService {
  /**
   * PUT /rooms/{roomId}/typing/{userId}: `requesterId` may only set their own typing (403 M_FORBIDDEN) and must be
   * joined to the room (403 M_FORBIDDEN).
   */
  setTyping(requesterId: string, roomId: string, userId: string, request: TypingRequest): Promise<void>;
  /**
   * The `m.typing` EDU of every room among `roomIds` whose typing list changed with `from < position <= to`,
   * listing who is typing now. With `from` 0 (initial sync), rooms where nobody types are left out.
   */
  getChanges(userId: string, from: number, to: number, roomIds: readonly string[]): Promise<TypingUpdate[]>;
  /** The `typing` stream's current position. */
  currentPosition(): Promise<number>;
  /** Who is typing in `roomId` now (sorted). */
  getTypingUsers(roomId: string): Promise<string[]>;
  /** Removes expired entries, bumping the stream for each room whose list shrank. Returns how many expired. */
  expireTyping(): Promise<number>;
  /** Stops the expiry timer. */
  close(): void;
}
