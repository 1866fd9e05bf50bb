/**
 * Profiles: reading, setting and deleting fields, and propagating displayname/avatar_url changes to the user's
 * member events. https://spec.matrix.org/v1.19/client-server-api/#profiles
 */
import { parseUserId, type JsonObject, type JsonValue } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { CoreDeps } from '../deps.js';
import { checkProfileKey, checkProfileSize, normaliseFieldValue } from './profile-fields.js';
import type { MemberProfile, ProfileCallbacks, ProfileFields } from './types.js';

/** The fields member events carry; changing one of them updates the user's member events. */
const MEMBER_FIELDS = ['displayname', 'avatar_url'] as const;

/** Profiles: https://spec.matrix.org/v1.19/client-server-api/#profiles */
export interface Profiles {
  /** The displayname and avatar_url to put in the user's member events ({} when none or unknown). */
  getProfile(userId: string): Promise<MemberProfile>;
  /** GET /profile/{userId}: every field. 404 M_NOT_FOUND for an unknown user. */
  getProfileFields(userId: string): Promise<ProfileFields>;
  /** GET /profile/{userId}/{keyName}: 404 M_NOT_FOUND when unset. */
  getProfileField(userId: string, keyName: string): Promise<JsonValue>;
  /**
   * PUT /profile/{userId}/{keyName}: only for oneself (403); `value` undefined when the body lacks the key
   * (400 M_MISSING_PARAM). displayname/avatar_url changes update the user's member events.
   */
  setProfileField(requesterId: string, userId: string, keyName: string, value: JsonValue | undefined): Promise<void>;
  /** DELETE /profile/{userId}/{keyName}. */
  deleteProfileField(requesterId: string, userId: string, keyName: string): Promise<void>;
  /** Creates a new local user's profile (registration). */
  initProfile(userId: string, fields: MemberProfile): Promise<void>;
  /** Removes a profile (deactivation with erasure). */
  eraseProfile(userId: string): Promise<void>;
}

export function createProfiles(deps: CoreDeps, callbacks: ProfileCallbacks): Profiles {
  const { storage, clock } = deps;
  const fieldLimits = {
    displaynameMaxLength: deps.config.limits.displayname_max_length,
    avatarUrlMaxLength: deps.config.limits.avatar_url_max_length,
  };
  const log = deps.logger.child({ component: 'profile' });

  /** The stored fields of a user we know, or 404 M_NOT_FOUND. */
  async function knownProfile(userId: string): Promise<ProfileFields> {
    const parts = parseUserId(userId, { historical: true });
    if (parts === undefined) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid user ID');
    const stored = await storage.userData.getProfile(userId);
    if (stored !== null) return stored.fields;
    if (parts.serverName === deps.serverName) {
      if (await callbacks.userExists?.(userId)) return {};
    } else {
      // NOTSPEC: remote profiles are not queried over federation yet; a member event of theirs we hold stands in.
      const fromRoom = await remoteProfileFromRooms(userId);
      if (fromRoom !== null) return fromRoom;
    }
    throw new MatrixError(404, 'M_NOT_FOUND', 'Profile not found');
  }

  /** The displayname/avatar of a remote user's member event in the first room we share state of, or null. */
  async function remoteProfileFromRooms(userId: string): Promise<ProfileFields | null> {
    const rooms = callbacks.rooms;
    if (rooms === undefined) return null;
    for (const roomId of await rooms.joinedRooms(userId)) {
      const member = (await rooms.getCurrentState(roomId)).find((event) => event.type === 'm.room.member' && event.stateKey === userId);
      if (member !== undefined) return { ...memberProfile(member.pdu.content as ProfileFields) } as Record<string, string>;
    }
    return null;
  }

  function assertSelf(requesterId: string, userId: string): void {
    if (requesterId !== userId) throw new MatrixError(403, 'M_FORBIDDEN', "Cannot change another user's profile");
  }

  /** https://spec.matrix.org/v1.19/client-server-api/#account-suspension: profile changes are refused. */
  async function assertNotSuspended(userId: string): Promise<void> {
    if (await callbacks.isSuspended?.(userId)) throw new MatrixError(403, 'M_USER_SUSPENDED', 'You cannot change your profile while suspended');
  }

  /** Replaces the profile in one transaction; returns the fields before and after. */
  async function updateProfile(
    userId: string,
    change: (fields: Record<string, JsonValue>) => void,
  ): Promise<{ before: ProfileFields; after: ProfileFields }> {
    const before = await knownProfile(userId);
    const after: Record<string, JsonValue> = { ...before };
    change(after);
    checkProfileSize(after);
    await storage.userData.saveProfile(userId, after, clock.now());
    return { before, after };
  }

  /** Sends a new join member event, with the new displayname/avatar_url, into every room the user is joined to. */
  async function propagate(userId: string, before: ProfileFields, after: ProfileFields): Promise<void> {
    const rooms = callbacks.rooms;
    if (rooms === undefined || MEMBER_FIELDS.every((key) => before[key] === after[key])) return;
    const profile = memberProfile(after);
    for (const roomId of await rooms.joinedRooms(userId)) {
      try {
        const state = await rooms.getCurrentState(roomId);
        const member = state.find((event) => event.type === 'm.room.member' && event.stateKey === userId);
        const content = member?.pdu.content as JsonObject | undefined;
        if (content?.membership !== 'join') continue;
        await rooms.sendEvent({ roomId, sender: userId, type: 'm.room.member', stateKey: userId, content: withProfile(content, profile) });
      } catch (error) {
        // One room refusing (e.g. power levels forbid it) must not stop the others or fail the profile change.
        log.warn({ err: error, roomId, userId }, 'could not propagate profile change to room');
      }
    }
  }

  return {
    async getProfile(userId) {
      const stored = await storage.userData.getProfile(userId);
      return stored === null ? {} : memberProfile(stored.fields);
    },

    getProfileFields: knownProfile,

    async getProfileField(userId, keyName) {
      checkProfileKey(keyName);
      const fields = await knownProfile(userId);
      const value = fields[keyName];
      if (value === undefined) throw new MatrixError(404, 'M_NOT_FOUND', `Profile has no ${keyName}`);
      return value;
    },

    async setProfileField(requesterId, userId, keyName, value) {
      checkProfileKey(keyName);
      assertSelf(requesterId, userId);
      await assertNotSuspended(userId);
      if (value === undefined) throw new MatrixError(400, 'M_MISSING_PARAM', `The body has no ${keyName}`);
      const normalised = normaliseFieldValue(keyName, value, fieldLimits);
      const { before, after } = await updateProfile(userId, (fields) => {
        if (normalised.remove) delete fields[keyName];
        else fields[keyName] = normalised.value;
      });
      await propagate(userId, before, after);
    },

    async deleteProfileField(requesterId, userId, keyName) {
      checkProfileKey(keyName);
      assertSelf(requesterId, userId);
      await assertNotSuspended(userId);
      const { before, after } = await updateProfile(userId, (fields) => {
        delete fields[keyName];
      });
      await propagate(userId, before, after);
    },

    async initProfile(userId, fields) {
      const clean: Record<string, JsonValue> = {};
      for (const key of MEMBER_FIELDS) {
        const value = fields[key];
        if (value !== undefined && value !== '') clean[key] = value;
      }
      await storage.userData.saveProfile(userId, clean, clock.now());
    },

    async eraseProfile(userId) {
      await storage.userData.deleteProfile(userId);
    },
  };
}

/** The displayname and avatar_url of a profile, when they are strings. */
export function memberProfile(fields: ProfileFields): MemberProfile {
  const profile: MemberProfile = {};
  if (typeof fields.displayname === 'string') profile.displayname = fields.displayname;
  if (typeof fields.avatar_url === 'string') profile.avatar_url = fields.avatar_url;
  return profile;
}

/**
 * The member content with the new profile: the same membership and other keys, displayname/avatar_url
 * replaced or removed. `join_authorised_via_users_server` is dropped: it only authorises a join into a
 * restricted room, and the user is already joined.
 */
function withProfile(content: JsonObject, profile: MemberProfile): JsonObject {
  const { displayname: _displayname, avatar_url: _avatar, join_authorised_via_users_server: _via, ...rest } = content;
  return { ...rest, ...profile };
}
