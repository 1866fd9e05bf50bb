/**
 * The presence domain's public types (import them from index.ts).
 */
import type { PresenceState } from '../../storage/index.js';

export type { PresenceState } from '../../storage/index.js';

/** What the presence domain needs from other domains (wired in services/registry.ts). */
export interface PresenceCallbacks {
  /** Every user who shares at least one joined room with `userId` (with or without `userId` itself). */
  usersSharingRoomWith(userId: string): Promise<readonly string[]>;
  /** Rooms `userId` is joined to: a presence change is published by room (the wake-up index dispatches it). */
  joinedRoomIds?(userId: string): Promise<readonly string[]>;
  /** The user's global account data event content of `type`, or null (for the privacy setting). */
  getGlobalAccountData(userId: string, type: string): Promise<Record<string, unknown> | null>;
}

/** Tunables; the defaults suit a normal deployment, tests shrink or disable the timers. */
export interface PresenceOptions {
  /** Serve and record presence at all. Default: `config.presence.enabled`. */
  enabled?: boolean;
  /** Online users inactive this long become `unavailable`; also the `currently_active` window. Default 5 min. */
  idleAfterMs?: number;
  /** Users neither syncing nor active this long become `offline`. Default 5 min. */
  offlineAfterMs?: number;
  /** Activity within this long of the last recorded one is not written again. Default 60 s. */
  activeCoalesceMs?: number;
  /** Sync heartbeats within this long of the last recorded one are not written again. Default 30 s. */
  syncCoalesceMs?: number;
  /** How often the idle/offline sweep runs; 0 disables the timer (tests call `sweep()`). Default 30 s. */
  sweepIntervalMs?: number;
  /** PUT /presence changes allowed in a burst per user, refilled at one per `statusRefillMs`. Default 10. */
  statusBurst?: number;
  /** Default 2 s. */
  statusRefillMs?: number;
}

/** The per-user privacy setting, global account data of type {@link PRESENCE_PRIVACY_TYPE}. */
export interface PresencePrivacy {
  /** Others see `offline`, with no last active time, status message or `currently_active`. */
  hide_presence: boolean;
  /** Others see no `last_active_ago`. */
  hide_last_seen: boolean;
}

/** The body of PUT /presence/{userId}/status. */
export interface PresenceStatusRequest {
  presence: PresenceState;
  /** Absent keeps the current message; null clears it. */
  statusMsg?: string | null;
}

/** `m.presence` content (and the GET /presence/{userId}/status response). */
export interface PresenceContent {
  presence: PresenceState;
  last_active_ago?: number;
  status_msg?: string | null;
  currently_active?: boolean;
}

/** An `m.presence` event for a sync response's `presence.events`. */
export interface PresenceEvent {
  type: 'm.presence';
  sender: string;
  content: PresenceContent;
}

export interface PresenceService {
  /** Whether presence is enabled (config `presence.enabled`). */
  readonly enabled: boolean;
  /** PUT /presence/{userId}/status: only your own (403); rate limited per user (429 M_LIMIT_EXCEEDED). */
  setStatus(requesterId: string, userId: string, request: PresenceStatusRequest): Promise<void>;
  /**
   * GET /presence/{userId}/status: yourself, or a user you share a room with (403 otherwise), seen through their
   * privacy setting.
   */
  getStatus(requesterId: string, userId: string): Promise<PresenceContent>;
  /**
   * /sync's `set_presence` (undefined means the default, `online`): `offline` changes nothing; `online` brings an
   * offline user online and keeps them from timing out; `unavailable` marks them idle. Coalesced: cheap per call.
   */
  setPresenceFromSync(userId: string, state: PresenceState | undefined): Promise<void>;
  /** A pro-active action by the user (sending a message...): updates the last active time. Coalesced. */
  markActive(userId: string): Promise<void>;
  /**
   * Presence of `userId` and of users sharing a room with them that changed in `(from, to]`, as `userId` may see it.
   * `roomIds` is accepted for the common provider shape; the audience comes from room membership.
   */
  getChanges(userId: string, from: number, to: number, roomIds?: readonly string[]): Promise<PresenceEvent[]>;
  /** The `presence` stream's current position. */
  currentPosition(): Promise<number>;
  /** Call after the user's privacy account data changed: re-announces their presence so others' views update. */
  privacyChanged(userId: string): Promise<void>;
  /** Applies the idle and offline timeouts; returns how many users changed. */
  sweep(): Promise<number>;
  /** Stops the sweep timer. */
  close(): void;
}
