/**
 * Server-side key backups: /room_keys/version and /room_keys/keys.
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
 */
import { isValidRoomId, type JsonObject } from '@parley/federation';
import { z } from 'zod';
import type { Requester } from '../../services/accounts/index.js';
import type { KeyBackupData, RoomKeyBackups } from '../../services/key-backup/index.js';
import type { Services } from '../../services/registry.js';
import { MatrixError } from '../../matrix-error.js';
import { defineRoute, type AnyRoute } from '../route.js';

const VERSION = '/_matrix/client/v3/room_keys/version';
const KEYS = '/_matrix/client/v3/room_keys/keys';

/** Longest room or session ID we store, in characters (the spec's limit for IDs is 255 bytes). */
const MAX_ID_LENGTH = 255;

/** `auth_data` and `session_data` are algorithm-dependent objects; the service checks auth_data per algorithm. */
const jsonObject = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);

const versionBody = z.object({ algorithm: z.string(), auth_data: jsonObject });
const versionUpdateBody = versionBody.extend({ version: z.string().optional() });

/** `KeyBackupData`. https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeysroomidsessionid */
const keyBackupData = z.object({
  first_message_index: z.number().int().min(0),
  forwarded_count: z.number().int().min(0),
  is_verified: z.boolean(),
  session_data: jsonObject,
}) satisfies z.ZodType<KeyBackupData>;

/** A map whose keys must pass `isValid`; a bad key is 400 `M_INVALID_PARAM`, as for a bad ID in the path. */
function idMap<T>(values: z.ZodType<T>, what: string, isValid: (id: string) => boolean) {
  return z.record(z.string(), values).superRefine((map, ctx) => {
    for (const id of Object.keys(map)) {
      if (!isValid(id)) ctx.addIssue({ code: 'custom', path: [id], message: `not a valid ${what}`, params: { errcode: 'M_INVALID_PARAM' } });
    }
  });
}

const isRoomId = (id: string): boolean => id.length <= MAX_ID_LENGTH && isValidRoomId(id);
const isSessionId = (id: string): boolean => id.length > 0 && id.length <= MAX_ID_LENGTH;

/** `RoomKeyBackup`. */
const roomKeyBackup = z.object({ sessions: idMap(keyBackupData, 'session ID', isSessionId) });
const allKeysBody = z.object({ rooms: idMap(roomKeyBackup, 'room ID', isRoomId) });

/** Every key route names its backup in `?version=`. */
const versionQuery = z.object({ version: z.string() });

/** Backups are for full accounts: guests may not use them (not among the guest endpoints of the spec). */
function fullAccount(auth: Requester): string {
  if (auth.isGuest) throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'Guests cannot use key backups');
  return auth.userId;
}

function roomIdParam(params: Record<string, string>): string {
  const roomId = params.roomId ?? '';
  if (!isRoomId(roomId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid room ID');
  return roomId;
}

function sessionIdParam(params: Record<string, string>): string {
  const sessionId = params.sessionId ?? '';
  if (!isSessionId(sessionId)) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid session ID');
  return sessionId;
}

export function keyBackupRoutes(services: Services): AnyRoute[] {
  return [...versionRoutes(services), ...keyRoutes(services)];
}

function versionRoutes({ keyBackup }: Services): AnyRoute[] {
  return [
    /**
     * POST /_matrix/client/v3/room_keys/version
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3room_keysversion
     */
    defineRoute({
      method: 'POST',
      path: VERSION,
      auth: 'user',
      schema: versionBody,
      handler: async ({ auth, body }) => ({ version: await keyBackup.createVersion(fullAccount(auth), body) }),
    }),

    /**
     * GET /_matrix/client/v3/room_keys/version
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keysversion
     */
    defineRoute({
      method: 'GET',
      path: VERSION,
      auth: 'user',
      handler: async ({ auth }) => keyBackup.getVersion(fullAccount(auth), undefined),
    }),

    /**
     * GET /_matrix/client/v3/room_keys/version/{version}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keysversionversion
     */
    defineRoute({
      method: 'GET',
      path: `${VERSION}/:version`,
      auth: 'user',
      handler: async ({ auth, params }) => keyBackup.getVersion(fullAccount(auth), params.version ?? ''),
    }),

    /**
     * PUT /_matrix/client/v3/room_keys/version/{version}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keysversionversion
     */
    defineRoute({
      method: 'PUT',
      path: `${VERSION}/:version`,
      auth: 'user',
      schema: versionUpdateBody,
      handler: async ({ auth, params, body }) => {
        await keyBackup.updateVersion(fullAccount(auth), params.version ?? '', body);
        return {};
      },
    }),

    /**
     * DELETE /_matrix/client/v3/room_keys/version/{version}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3room_keysversionversion
     */
    defineRoute({
      method: 'DELETE',
      path: `${VERSION}/:version`,
      auth: 'user',
      handler: async ({ auth, params }) => {
        await keyBackup.deleteVersion(fullAccount(auth), params.version ?? '');
        return {};
      },
    }),
  ];
}

function keyRoutes({ keyBackup }: Services): AnyRoute[] {
  const ROOM = `${KEYS}/:roomId`;
  const SESSION = `${KEYS}/:roomId/:sessionId`;
  return [
    /**
     * PUT /_matrix/client/v3/room_keys/keys
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeys
     */
    defineRoute({
      method: 'PUT',
      path: KEYS,
      auth: 'user',
      schema: allKeysBody,
      query: versionQuery,
      handler: ({ auth, query, body }) => keyBackup.putKeys(fullAccount(auth), query.version, body.rooms),
    }),

    /**
     * PUT /_matrix/client/v3/room_keys/keys/{roomId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeysroomid
     */
    defineRoute({
      method: 'PUT',
      path: ROOM,
      auth: 'user',
      schema: roomKeyBackup,
      query: versionQuery,
      handler: ({ auth, query, params, body }) => {
        const rooms: RoomKeyBackups = { [roomIdParam(params)]: body };
        return keyBackup.putKeys(fullAccount(auth), query.version, rooms);
      },
    }),

    /**
     * PUT /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}
     * https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeysroomidsessionid
     */
    defineRoute({
      method: 'PUT',
      path: SESSION,
      auth: 'user',
      schema: keyBackupData,
      query: versionQuery,
      handler: ({ auth, query, params, body }) => {
        const rooms: RoomKeyBackups = { [roomIdParam(params)]: { sessions: { [sessionIdParam(params)]: body } } };
        return keyBackup.putKeys(fullAccount(auth), query.version, rooms);
      },
    }),

    /**
     * GET /_matrix/client/v3/room_keys/keys
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keyskeys
     */
    defineRoute({
      method: 'GET',
      path: KEYS,
      auth: 'user',
      query: versionQuery,
      handler: async ({ auth, query }) => ({ rooms: await keyBackup.getAllKeys(fullAccount(auth), query.version) }),
    }),

    /**
     * GET /_matrix/client/v3/room_keys/keys/{roomId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keyskeysroomid
     */
    defineRoute({
      method: 'GET',
      path: ROOM,
      auth: 'user',
      query: versionQuery,
      handler: ({ auth, query, params }) => keyBackup.getRoomKeys(fullAccount(auth), query.version, roomIdParam(params)),
    }),

    /**
     * GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}
     * https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keyskeysroomidsessionid
     */
    defineRoute({
      method: 'GET',
      path: SESSION,
      auth: 'user',
      query: versionQuery,
      handler: ({ auth, query, params }) =>
        keyBackup.getSessionKey(fullAccount(auth), query.version, roomIdParam(params), sessionIdParam(params)),
    }),

    /**
     * DELETE /_matrix/client/v3/room_keys/keys
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3room_keyskeys
     */
    defineRoute({
      method: 'DELETE',
      path: KEYS,
      auth: 'user',
      query: versionQuery,
      handler: ({ auth, query }) => keyBackup.deleteKeys(fullAccount(auth), query.version, { kind: 'all' }),
    }),

    /**
     * DELETE /_matrix/client/v3/room_keys/keys/{roomId}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3room_keyskeysroomid
     */
    defineRoute({
      method: 'DELETE',
      path: ROOM,
      auth: 'user',
      query: versionQuery,
      handler: ({ auth, query, params }) =>
        keyBackup.deleteKeys(fullAccount(auth), query.version, { kind: 'room', roomId: roomIdParam(params) }),
    }),

    /**
     * DELETE /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}
     * https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3room_keyskeysroomidsessionid
     */
    defineRoute({
      method: 'DELETE',
      path: SESSION,
      auth: 'user',
      query: versionQuery,
      handler: ({ auth, query, params }) =>
        keyBackup.deleteKeys(fullAccount(auth), query.version, { kind: 'session', roomId: roomIdParam(params), sessionId: sessionIdParam(params) }),
    }),
  ];
}
