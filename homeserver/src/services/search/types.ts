/**
 * The public types of the search domain, re-exported by index.ts (import them from there).
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search
 */
import type { SearchKey } from '../../storage/index.js';
import type { ClientEvent, RoomsService } from '../rooms/index.js';

export type { SearchKey } from '../../storage/index.js';

/** The parts of a RoomEventFilter search honours. https://spec.matrix.org/v1.19/client-server-api/#filtering */
export interface SearchFilter {
  rooms?: string[];
  not_rooms?: string[];
  senders?: string[];
  not_senders?: string[];
  types?: string[];
  not_types?: string[];
  contains_url?: boolean;
  limit?: number;
}

/** `search_categories.room_events` of the request body, validated. */
export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[];
  filter?: SearchFilter;
  order_by?: 'recent' | 'rank';
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by?: { key: 'room_id' | 'sender' }[] };
}

/** Who searches: the user, and the device/token that scopes `unsigned.transaction_id`. */
export interface Searcher {
  userId: string;
  deviceId?: string | null;
  accessTokenId?: number | string | null;
}

/** The historic profile of a sender, as in `context.profile_info`. */
export interface SearchProfile {
  displayname?: string;
  avatar_url?: string;
}

/** `context` of one result. */
export interface SearchResultContext {
  start: string;
  end: string;
  events_before: ClientEvent[];
  events_after: ClientEvent[];
  profile_info?: Record<string, SearchProfile>;
}

/** One entry of `results`. */
export interface SearchResult {
  rank: number;
  result: ClientEvent;
  context?: SearchResultContext;
}

/** One group of `groups.<key>`. */
export interface SearchGroup {
  order: number;
  results: string[];
  next_batch?: string;
}

/** `search_categories.room_events` of the response. */
export interface RoomEventsResults {
  count: number;
  highlights: string[];
  results: SearchResult[];
  state?: Record<string, ClientEvent[]>;
  groups?: Partial<Record<'room_id' | 'sender', Record<string, SearchGroup>>>;
  next_batch?: string;
}

/** What search needs from the rooms domain (a slice of {@link RoomsService}). */
export type SearchRoomsAccess = Pick<
  RoomsService,
  'getRoomsForUser' | 'filterEventsForUser' | 'toClientEvents' | 'getCurrentState' | 'getStateAtPosition'
>;
