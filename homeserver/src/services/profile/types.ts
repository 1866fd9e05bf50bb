/**
 * Public types of the user-data domain (profiles, account data, tags, ignored users, user directory, reports).
 * Re-exported by index.ts; import them from there.
 */
import type { JsonObject, JsonValue } from '@parley/federation';
import type { RoomsService } from '../rooms/index.js';

/** The two profile fields copied into member events. https://spec.matrix.org/v1.19/client-server-api/#mroommember */
export interface MemberProfile {
  displayname?: string;
  avatar_url?: string;
}

/** Every field of a profile by key (`displayname`, `avatar_url`, `m.tz`, custom keys). */
export type ProfileFields = Readonly<Record<string, JsonValue>>;

/** An account data event as sync and /events deliver it. https://spec.matrix.org/v1.19/client-server-api/#client-config */
export interface AccountDataEvent {
  type: string;
  content: JsonObject;
}

/** What changed in a user's account data between two `account_data` stream positions. */
export interface AccountDataChanges {
  /** Global account data (the top-level `account_data` of /sync). */
  global: AccountDataEvent[];
  /** Per-room account data (each joined room's `account_data`), by room ID. */
  rooms: Record<string, AccountDataEvent[]>;
}

/** One result of the user directory. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3user_directorysearch */
export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/** The parts of the rooms domain this domain uses (the registry passes the rooms service itself). */
export type ProfileRoomsPort = Pick<RoomsService, 'joinedRooms' | 'getJoinedUserIds' | 'getCurrentState' | 'sendEvent' | 'getRoomVersion'>;

/** Cross-domain hooks, wired in services/registry.ts. */
export interface ProfileCallbacks {
  /** The rooms domain, for propagating profile changes, the directory and report checks. */
  rooms?: ProfileRoomsPort;
  /** Whether a local user is registered (accounts domain). Without it, a local user exists when it has a profile. */
  userExists?(userId: string): Promise<boolean>;
  /**
   * Whether a local account is suspended (accounts domain): a suspended user may not change their profile (403
   * `M_USER_SUSPENDED`). https://spec.matrix.org/v1.19/client-server-api/#account-suspension. Default: nobody is.
   */
  isSuspended?(userId: string): Promise<boolean>;
  /**
   * The user's push rules as the `m.push_rules` account data content (push domain): the server manages it, so
   * GET account_data/m.push_rules reads it from there.
   */
  getPushRules?(userId: string): Promise<JsonObject>;
  /**
   * Called after a client changed an account data entry (`roomId` null: global), once the write committed. The
   * registry uses it to tell presence when `org.parley.presence_privacy` changed. A failure is logged, never
   * returned to the client: the write itself succeeded.
   */
  onAccountDataChanged?(userId: string, roomId: string | null, type: string): Promise<void>;
}

/** Tunables from config. */
export interface ProfileOptions {
  /** Let the user directory find every local user with a profile, not only those sharing a room or in public rooms. */
  searchAllUsers?: boolean;
}
