/**
 * POST /createRoom: the create event, the creator's join, power levels, canonical alias, preset state, initial
 * state, name and topic, invites, in the order the spec gives, all in one transaction (a refused step leaves no
 * room behind).
 * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom
 */
import { DEFAULT_ROOM_VERSION, findRoomVersion, isValidRoomAlias, isValidUserId, type JsonObject, type RoomVersion } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import type { RoomsContext } from './context.js';
import { yieldToEventLoop } from '../yield.js';
import { persistCreateEvent } from './create-event.js';
import { buildAndPersist, type AuthFailure } from './local-event.js';
import { runRoomWrite } from './persist.js';
import { memberContent } from './profile.js';
import type { CreateRoomRequest, RoomRequester } from './types.js';

type Preset = NonNullable<CreateRoomRequest['preset']>;

const PRESETS: Record<Preset, { joinRule: string; historyVisibility: string; guestAccess: string }> = {
  private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join' },
  trusted_private_chat: { joinRule: 'invite', historyVisibility: 'shared', guestAccess: 'can_join' },
  public_chat: { joinRule: 'public', historyVisibility: 'shared', guestAccess: 'forbidden' },
};

const invalidState: AuthFailure = (reason) => new MatrixError(400, 'M_INVALID_ROOM_STATE', reason);

/** Creates a room; returns its ID. */
export async function createRoom(ctx: RoomsContext, requester: RoomRequester, request: CreateRoomRequest): Promise<{ roomId: string }> {
  const { serverName } = ctx.deps;
  requireBoundedRequest(ctx, request);
  const versionId = request.room_version ?? DEFAULT_ROOM_VERSION;
  const version = findRoomVersion(versionId);
  if (version === undefined) throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${versionId} is not supported`);
  const invitees = [...new Set(request.invite ?? [])];
  for (const userId of invitees) {
    if (!isValidUserId(userId)) throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid user ID in invite: ${userId}`);
  }
  const alias = request.room_alias_name === undefined ? undefined : `#${request.room_alias_name}:${serverName}`;
  if (alias !== undefined && (!isValidRoomAlias(alias) || /[:\s]/.test(request.room_alias_name ?? ''))) {
    throw new MatrixError(400, 'M_INVALID_PARAM', `Invalid room alias name ${JSON.stringify(request.room_alias_name)}`);
  }
  const preset: Preset = request.preset ?? (request.visibility === 'public' ? 'public_chat' : 'private_chat');
  const creator = requester.userId;
  // Profiles are read before the transaction: on SQLite another domain's read inside it would wait for it.
  const creatorMember = await memberContent(ctx, creator, { membership: 'join' });
  const direct = request.is_direct === true ? { is_direct: true } : {};
  const inviteMembers = await Promise.all(invitees.map((userId) => memberContent(ctx, userId, { membership: 'invite', ...direct })));

  return runRoomWrite(ctx, null, async (session) => {
    const content = createContent(request, version, creator, invitees, preset);
    const create = await persistCreateEvent(ctx, session, version, { sender: creator, content }, invalidState);
    const roomId = create.roomId;
    const send = async (type: string, stateKey: string, content: JsonObject) => {
      await yieldToEventLoop();
      return buildAndPersist(ctx, session, version, { roomId, sender: creator, type, stateKey, content }, invalidState);
    };

    await send('m.room.member', creator, creatorMember);
    await send('m.room.power_levels', '', powerLevels(request, version, creator, invitees, preset));
    if (alias !== undefined) {
      if (!(await session.tx.roomState.createAlias(alias, roomId, creator, ctx.deps.clock.now()))) {
        throw new MatrixError(400, 'M_ROOM_IN_USE', `The alias ${alias} is already in use`);
      }
      await send('m.room.canonical_alias', '', { alias });
    }
    await sendPresetAndInitialState(request, preset, send);
    if (request.name !== undefined) await send('m.room.name', '', { name: request.name });
    if (request.topic !== undefined) {
      await send('m.room.topic', '', { topic: request.topic, 'm.topic': { 'm.text': [{ mimetype: 'text/plain', body: request.topic }] } });
    }
    for (const [index, userId] of invitees.entries()) await send('m.room.member', userId, inviteMembers[index] as JsonObject);
    if (request.visibility === 'public') await session.tx.rooms.setPublic(roomId, true);
    return { roomId };
  });
}

/**
 * Bounds the work one request asks for: `limits.create_room_max_initial_state` initial state events and
 * `limits.create_room_max_invites` invites (`invite` and `invite_3pid` together), else 400 M_INVALID_PARAM.
 */
function requireBoundedRequest(ctx: RoomsContext, request: CreateRoomRequest): void {
  const { create_room_max_initial_state: maxState, create_room_max_invites: maxInvites } = ctx.deps.config.limits;
  if ((request.initial_state?.length ?? 0) > maxState) throw new MatrixError(400, 'M_INVALID_PARAM', `initial_state may hold at most ${maxState} events`);
  const invites = (request.invite?.length ?? 0) + (request.invite_3pid?.length ?? 0);
  if (invites > maxInvites) throw new MatrixError(400, 'M_INVALID_PARAM', `At most ${maxInvites} users may be invited when creating a room`);
  if ((request.invite_3pid?.length ?? 0) > 0) throw new MatrixError(400, 'M_UNRECOGNIZED', 'Third-party invites are not supported');
}

async function sendPresetAndInitialState(
  request: CreateRoomRequest,
  preset: Preset,
  send: (type: string, stateKey: string, content: JsonObject) => Promise<unknown>,
): Promise<void> {
  const initial = request.initial_state ?? [];
  const overridden = (type: string) => initial.some((event) => event.type === type && (event.state_key ?? '') === '');
  const settings = PRESETS[preset];
  if (!overridden('m.room.join_rules')) await send('m.room.join_rules', '', { join_rule: settings.joinRule });
  if (!overridden('m.room.history_visibility')) await send('m.room.history_visibility', '', { history_visibility: settings.historyVisibility });
  if (!overridden('m.room.guest_access')) await send('m.room.guest_access', '', { guest_access: settings.guestAccess });
  for (const event of initial) {
    const stateKey = event.state_key ?? '';
    // name and topic from the request override initial_state; the spec lets them replace these.
    if (stateKey === '' && ((event.type === 'm.room.name' && request.name !== undefined) || (event.type === 'm.room.topic' && request.topic !== undefined))) continue;
    if (event.type === 'm.room.create' || event.type === 'm.room.member') {
      throw new MatrixError(400, 'M_INVALID_ROOM_STATE', `initial_state may not contain ${event.type}`);
    }
    await send(event.type, stateKey, event.content);
  }
}

function createContent(request: CreateRoomRequest, version: RoomVersion, creator: string, invitees: readonly string[], preset: Preset): JsonObject {
  const content: JsonObject = { ...(request.creation_content ?? {}), room_version: version.id };
  if (version.implicitRoomCreator) delete content.creator;
  else content.creator = creator;
  if (version.privilegedCreators) {
    const requested = content.additional_creators;
    if (requested !== undefined && (!Array.isArray(requested) || !requested.every((id) => typeof id === 'string' && isValidUserId(id)))) {
      throw new MatrixError(400, 'M_BAD_JSON', 'creation_content.additional_creators must be a list of user IDs');
    }
    const extra = [...((requested as string[] | undefined) ?? []), ...(preset === 'trusted_private_chat' ? invitees : [])];
    const unique = [...new Set(extra)].filter((id) => id !== creator);
    if (unique.length > 0) content.additional_creators = unique;
  }
  return content;
}

/**
 * The default power levels. v1-v11 list the creator at 100 (and, for trusted_private_chat, the invitees); v12
 * lists no creator (they have infinite power) and puts `m.room.tombstone` above `state_default`.
 */
function powerLevels(request: CreateRoomRequest, version: RoomVersion, creator: string, invitees: readonly string[], preset: Preset): JsonObject {
  const users: JsonObject = {};
  if (!version.privilegedCreators) {
    users[creator] = 100;
    if (preset === 'trusted_private_chat') for (const userId of invitees) users[userId] = 100;
  }
  const content: JsonObject = {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': version.privilegedCreators ? 150 : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset === 'public_chat' ? 50 : 0,
    notifications: { room: 50 },
  };
  return { ...content, ...(request.power_level_content_override ?? {}) };
}

