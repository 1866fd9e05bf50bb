/**
 * Sync filters: their schema (validation of POST /user/{userId}/filter and of inline `filter=` JSON), the
 * defaults, and the pure matching functions /sync applies.
 * https://spec.matrix.org/v1.19/client-server-api/#filtering
 */
import { z } from 'zod';
import { compileStarPattern, parseDottedPath, starPatternMatches, type JsonObject, type StarPattern } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';

const INVALID = { errcode: 'M_INVALID_PARAM' };
const userId = z.string().refine((value) => value.startsWith('@'), { message: 'expected a user ID', params: INVALID });
const roomId = z.string().refine((value) => value.startsWith('!'), { message: 'expected a room ID', params: INVALID });

// NOTSPEC: the spec says limits "must be an integer greater than 0"; 0 is also accepted (and means "none"),
// because clients send it to switch a section off.
const limit = z.int().nonnegative();

/** EventFilter. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter_request_eventfilter */
const eventFilterShape = {
  limit: limit.optional(),
  types: z.array(z.string()).optional(),
  not_types: z.array(z.string()).optional(),
  senders: z.array(userId).optional(),
  not_senders: z.array(userId).optional(),
};
export const eventFilterSchema = z.looseObject(eventFilterShape);

/** RoomEventFilter. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter_request_roomeventfilter */
export const roomEventFilterSchema = z.looseObject({
  ...eventFilterShape,
  rooms: z.array(roomId).optional(),
  not_rooms: z.array(roomId).optional(),
  contains_url: z.boolean().optional(),
  lazy_load_members: z.boolean().optional(),
  include_redundant_members: z.boolean().optional(),
  unread_thread_notifications: z.boolean().optional(),
});

/** RoomFilter. */
export const roomFilterSchema = z.looseObject({
  rooms: z.array(roomId).optional(),
  not_rooms: z.array(roomId).optional(),
  include_leave: z.boolean().optional(),
  ephemeral: roomEventFilterSchema.optional(),
  state: roomEventFilterSchema.optional(),
  timeline: roomEventFilterSchema.optional(),
  account_data: roomEventFilterSchema.optional(),
});

/** Filter: the body of POST /user/{userId}/filter. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter */
export const syncFilterSchema = z.looseObject({
  event_fields: z.array(z.string()).optional(),
  event_format: z.enum(['client', 'federation']).optional(),
  presence: eventFilterSchema.optional(),
  account_data: eventFilterSchema.optional(),
  room: roomFilterSchema.optional(),
});

export type EventFilter = z.infer<typeof eventFilterSchema>;
export type RoomEventFilter = z.infer<typeof roomEventFilterSchema>;
export type SyncFilter = z.infer<typeof syncFilterSchema>;

/**
 * Validates filter JSON (an inline `filter=` parameter or a stored filter): 400 `M_BAD_JSON` for a wrong shape,
 * `M_INVALID_PARAM` for a malformed room or user ID.
 */
export function parseFilterJson(value: unknown): SyncFilter {
  const result = syncFilterSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const params = issue?.code === 'custom' ? (issue.params as { errcode?: unknown } | undefined) : undefined;
  const errcode = typeof params?.errcode === 'string' ? params.errcode : 'M_BAD_JSON';
  const where = issue ? issue.path.map(String).join('.') : '';
  throw new MatrixError(400, errcode, `Invalid filter${where ? ` at ${where}` : ''}: ${issue?.message ?? 'malformed'}`);
}

/** Timeline events per room when the filter sets no limit (the spec leaves the default to servers). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** The most timeline events per room we send, whatever the filter asks. */
export const MAX_TIMELINE_LIMIT = 1000;

/** What /sync reads from a filter: every section present, with defaults applied. */
export interface ResolvedFilter {
  eventFields: readonly string[] | undefined;
  eventFormat: 'client' | 'federation';
  presence: EventFilter;
  accountData: EventFilter;
  rooms: readonly string[] | undefined;
  notRooms: readonly string[];
  includeLeave: boolean;
  timeline: RoomEventFilter;
  state: RoomEventFilter;
  ephemeral: RoomEventFilter;
  roomAccountData: RoomEventFilter;
  timelineLimit: number;
}

/** Fills in the defaults of a validated filter. */
export function resolveFilter(filter: SyncFilter): ResolvedFilter {
  const room = filter.room ?? {};
  const timeline = room.timeline ?? {};
  return {
    eventFields: filter.event_fields,
    eventFormat: filter.event_format ?? 'client',
    presence: filter.presence ?? {},
    accountData: filter.account_data ?? {},
    rooms: room.rooms,
    notRooms: room.not_rooms ?? [],
    includeLeave: room.include_leave ?? false,
    timeline,
    state: room.state ?? {},
    ephemeral: room.ephemeral ?? {},
    roomAccountData: room.account_data ?? {},
    timelineLimit: Math.min(timeline.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT),
  };
}

/** True when the room passes the RoomFilter's `rooms`/`not_rooms` (applied before every per-section filter). */
export function roomAllowed(filter: ResolvedFilter, roomId: string): boolean {
  if (inList(filter.notRooms, roomId)) return false;
  return filter.rooms === undefined || inList(filter.rooms, roomId);
}

/** A list of IDs as a set, built once per list: a filter may list thousands and is applied to every event. */
const listSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function inList(list: readonly string[], value: string): boolean {
  if (list.length < 16) return list.includes(value);
  let set = listSets.get(list);
  if (set === undefined) {
    set = new Set(list);
    listSets.set(list, set);
  }
  return set.has(value);
}

/** A `types`/`not_types` list compiled once: exact types in a set, wildcard patterns as their pieces. */
interface TypeList {
  exact: ReadonlySet<string>;
  patterns: readonly StarPattern[];
}

const typeLists = new WeakMap<readonly string[], TypeList>();

function typeListMatches(list: readonly string[], type: string): boolean {
  let compiled = typeLists.get(list);
  if (compiled === undefined) {
    const wildcards = list.filter((pattern) => pattern.includes('*'));
    compiled = { exact: new Set(list.filter((pattern) => !pattern.includes('*'))), patterns: wildcards.map(compileStarPattern) };
    typeLists.set(list, compiled);
  }
  return compiled.exact.has(type) || compiled.patterns.some((pieces) => starPatternMatches(pieces, type));
}

/** What the matching functions look at in an event (client events, ephemeral events, account data alike). */
export interface FilterableEvent {
  type: string;
  sender?: string;
  roomId?: string;
  content?: JsonObject;
}

/**
 * Whether an event passes an EventFilter or RoomEventFilter: `not_*` lists win over their positive lists,
 * `types`/`not_types` take `*` wildcards, `senders` compare exactly, `contains_url` looks at `content.url`.
 */
export function eventMatches(filter: RoomEventFilter, event: FilterableEvent): boolean {
  if (filter.not_types && typeListMatches(filter.not_types, event.type)) return false;
  if (filter.types && !typeListMatches(filter.types, event.type)) return false;
  if (event.sender !== undefined) {
    if (filter.not_senders && inList(filter.not_senders, event.sender)) return false;
    if (filter.senders && !inList(filter.senders, event.sender)) return false;
  }
  if (event.roomId !== undefined) {
    if (filter.not_rooms && inList(filter.not_rooms, event.roomId)) return false;
    if (filter.rooms && !inList(filter.rooms, event.roomId)) return false;
  }
  if (filter.contains_url !== undefined) {
    const hasUrl = typeof event.content?.url === 'string';
    if (hasUrl !== filter.contains_url) return false;
  }
  return true;
}

/** The events of `events` that pass `filter`, at most its `limit` (the newest ones when `keep` is 'last'). */
export function filterEvents<T extends FilterableEvent>(
  filter: RoomEventFilter,
  events: readonly T[],
  options: { keep: 'first' | 'last' } = { keep: 'first' },
): T[] {
  const matching = events.filter((event) => eventMatches(filter, event));
  if (filter.limit === undefined || matching.length <= filter.limit) return matching;
  return options.keep === 'last' ? matching.slice(matching.length - filter.limit) : matching.slice(0, filter.limit);
}

/** `*` matches any run of characters; everything else is literal (matched without a regular expression). */
export function typeMatches(pattern: string, type: string): boolean {
  return starPatternMatches(compileStarPattern(pattern), type);
}

/**
 * Keeps only the `event_fields` of an event. Paths that name nothing are skipped; a path that ends at an
 * object keeps the whole object.
 */
export function pickEventFields<T extends object>(event: T, fields: readonly string[] | undefined): Partial<T> {
  if (fields === undefined) return event;
  const result: JsonObject = {};
  for (const field of fields) copyPath(event as unknown as JsonObject, result, parseDottedPath(field));
  return result as Partial<T>;
}

function copyPath(source: JsonObject, target: JsonObject, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(source, head)) return;
  const value = source[head];
  if (value === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const existing = target[head];
  // A shorter path already copied this whole object: nothing to add, and it must not be written into.
  if (existing === value) return;
  const child = typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? existing : {};
  copyPath(value, child, rest);
  if (Object.keys(child).length > 0) target[head] = child;
}
