/**
 * The user directory, computed at query time from the rooms domain's memberships and our profiles: users who share
 * a room with the searcher, and users joined to rooms with a `public` join rule or `world_readable` history.
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3user_directorysearch
 */
import type { StoredEvent } from '../../storage/index.js';
import { MatrixError } from '../../matrix-error.js';
import type { CoreDeps } from '../deps.js';
import { rankCandidates, words, type DirectoryCandidate } from './directory-match.js';
import type { DirectoryUser, ProfileCallbacks, ProfileOptions, ProfileRoomsPort } from './types.js';

/** Profiles outside the searcher's rooms looked at per search: bounds the work of one query. */
const MAX_OUTSIDE_CANDIDATES = 200;

export type SearchUserDirectory = (
  searcherId: string,
  term: string,
  limit: number,
) => Promise<{ results: DirectoryUser[]; limited: boolean }>;

export function createDirectorySearch(deps: CoreDeps, callbacks: ProfileCallbacks, options: ProfileOptions): SearchUserDirectory {
  const { storage } = deps;
  const maxTermLength = deps.config.limits.user_directory_search_term_max_length;

  return async (searcherId, term, limit) => {
    // NOTSPEC: the spec sets no bound on search terms; names are at most a few hundred characters anyway.
    if (term.length > maxTermLength) throw new MatrixError(400, 'M_INVALID_PARAM', `search_term is limited to ${maxTermLength} characters`);
    const candidates = new Map<string, DirectoryCandidate>();
    const rooms = callbacks.rooms;
    const publicity = new Map<string, boolean>();
    if (rooms !== undefined) {
      for (const roomId of await rooms.joinedRooms(searcherId)) {
        const state = await rooms.getCurrentState(roomId);
        publicity.set(roomId, isVisibleRoom(state));
        for (const member of joinedMembers(state)) candidates.set(member.userId, member);
      }
    }
    // Everything else that could match: local profiles matching the term's first word.
    const firstWord = words(term)[0] ?? term.trim().toLocaleLowerCase();
    const outside = firstWord === '' ? [] : await storage.userData.searchProfiles(firstWord, MAX_OUTSIDE_CANDIDATES);
    for (const profile of outside) {
      if (candidates.has(profile.userId)) continue;
      if (options.searchAllUsers || (rooms !== undefined && (await inVisibleRoom(rooms, profile.userId, publicity)))) {
        candidates.set(profile.userId, profile);
      }
    }
    await preferGlobalProfiles(candidates);
    return rankCandidates(term, candidates.values(), limit);
  };

  /** Local users' global profiles win over what a member event says (a per-room name). */
  async function preferGlobalProfiles(candidates: Map<string, DirectoryCandidate>): Promise<void> {
    const local = [...candidates.keys()].filter((userId) => userId.endsWith(`:${deps.serverName}`));
    for (const profile of await storage.userData.getDirectoryProfiles(local)) candidates.set(profile.userId, profile);
  }
}

/** Whether the user is joined to a room whose members anyone may look up. */
async function inVisibleRoom(rooms: ProfileRoomsPort, userId: string, publicity: Map<string, boolean>): Promise<boolean> {
  for (const roomId of await rooms.joinedRooms(userId)) {
    let visible = publicity.get(roomId);
    if (visible === undefined) {
      visible = isVisibleRoom(await rooms.getCurrentState(roomId));
      publicity.set(roomId, visible);
    }
    if (visible) return true;
  }
  return false;
}

/** A `public` join rule or `world_readable` history visibility. */
export function isVisibleRoom(state: readonly StoredEvent[]): boolean {
  const content = (type: string) => state.find((event) => event.type === type && event.stateKey === '')?.pdu.content;
  return content('m.room.join_rules')?.join_rule === 'public' || content('m.room.history_visibility')?.history_visibility === 'world_readable';
}

/** The joined members of a room with the displayname and avatar of their member events. */
function joinedMembers(state: readonly StoredEvent[]): DirectoryCandidate[] {
  const members: DirectoryCandidate[] = [];
  for (const event of state) {
    if (event.type !== 'm.room.member' || event.stateKey === null) continue;
    const content = event.pdu.content;
    if (content.membership !== 'join') continue;
    members.push({
      userId: event.stateKey,
      displayname: typeof content.displayname === 'string' ? content.displayname : null,
      avatarUrl: typeof content.avatar_url === 'string' ? content.avatar_url : null,
    });
  }
  return members;
}
