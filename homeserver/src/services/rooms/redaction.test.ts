/**
 * Redactions from other servers go through the pipeline federation uses (`persistPdu`, persist-remote.ts): stored
 * always, applied only when the handling-time check allows it, never across rooms, and not served when not applied.
 */
import { randomBytes } from 'node:crypto';
import {
  authEventTypesFor,
  buildEvent,
  generateSigningKey,
  getRoomVersion,
  type JsonObject,
  type RoomVersion,
} from '@parley/federation';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { validateConfig } from '../../config/load.js';
import { silentLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import type { Storage } from '../../storage/index.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { createRoomsService, type RoomRequester, type RoomsService } from './index.js';

const SERVER = 'home.test';

interface Home {
  rooms: RoomsService;
  storage: Storage;
}
const REMOTE = 'remote.test';

function service(storage: Storage): Home {
  const rooms = createRoomsService({
    config: validateConfig({ server_name: SERVER }, { baseDir: '/tmp' }),
    storage,
    notifier: createMemoryNotifier(),
    clock: manualClock(1_700_000_000_000),
    logger: silentLogger(),
    serverName: SERVER,
    signingKey: generateSigningKey(),
  });
  return { rooms, storage };
}

const local = (): RoomRequester => ({ userId: `@u${randomBytes(4).toString('hex')}:${SERVER}`, deviceId: 'DEV', accessTokenId: 1 });
const remoteUser = (name: string) => `@${name}${randomBytes(3).toString('hex')}:${REMOTE}`;
const remoteKey = generateSigningKey();

/** A PDU from the remote server on top of the room's current tip, with the auth events the rules want. */
async function remotePdu(
  { rooms, storage }: Home,
  version: RoomVersion,
  roomId: string,
  event: { type: string; sender: string; content: JsonObject; stateKey?: string; redacts?: string },
) {
  const state = await rooms.getCurrentState(roomId);
  const idOf = (type: string, stateKey: string) => state.find((entry) => entry.type === type && entry.stateKey === stateKey)?.eventId;
  const selection = { type: event.type, sender: event.sender, content: event.content, ...(event.stateKey === undefined ? {} : { state_key: event.stateKey }) };
  const authIds = authEventTypesFor(selection, version).flatMap(([type, stateKey]) => idOf(type, stateKey) ?? []);
  const [last] = await storage.events.getEvents(await storage.events.getForwardExtremities(roomId));
  if (last === undefined) throw new Error('empty room');
  const built = buildEvent({
    roomVersion: version,
    template: {
      ...selection,
      room_id: roomId,
      prev_events: [last.eventId],
      auth_events: authIds,
      depth: last.depth + 1,
      origin_server_ts: 1_700_000_001_000,
      ...(event.redacts === undefined ? {} : { redacts: event.redacts }),
    },
    signer: { serverName: REMOTE, key: remoteKey },
  });
  return rooms.persistPdu(roomId, built.pdu);
}

forEachDatabase('remote redactions', (getStorage) => {
  describe.each(['12', '10', '3'])('room version %s', (versionId) => {
    const version = getRoomVersion(versionId);

    async function roomWithRemoteMember(home: Home) {
      const { rooms } = home;
      const alice = local();
      const { roomId } = await rooms.createRoom(alice, { preset: 'public_chat', room_version: versionId });
      const mallory = remoteUser('mallory');
      const join = await remotePdu(home, version, roomId, { type: 'm.room.member', sender: mallory, stateKey: mallory, content: { membership: 'join' } });
      expect(join.rejectedReason).toBeNull();
      const target = await rooms.sendMessage(alice, roomId, 'm.room.message', `t${randomBytes(3).toString('hex')}`, { msgtype: 'm.text', body: 'keep me' });
      return { alice, roomId, mallory, target: target.eventId };
    }

    const redactionBy = (home: Home, roomId: string, sender: string, redacts: string) =>
      remotePdu(home, version, roomId, { type: 'm.room.redaction', sender, content: version.redactsInContent ? { redacts } : {}, redacts });

    it('stores a power-0 remote user’s redaction of a local message, does not apply it and does not serve it', async () => {
      const home = service(getStorage());
      const { rooms } = home;
      const { alice, roomId, mallory, target } = await roomWithRemoteMember(home);
      const redaction = await redactionBy(home, roomId, mallory, target);
      expect(redaction.rejectedReason).toBeNull();
      expect((await rooms.getEvents([redaction.eventId]))[0]?.eventId).toBe(redaction.eventId);
      const [stored] = await rooms.getEvents([target]);
      expect(stored?.redactedBy).toBeNull();
      expect((await rooms.getEvent(alice, roomId, target)).content).toEqual({ msgtype: 'm.text', body: 'keep me' });
      const page = await rooms.getMessages(alice, roomId, { dir: 'b', limit: 50 });
      expect(page.chunk.map((event) => event.event_id)).not.toContain(redaction.eventId);
    });

    it('applies a remote user’s redaction of an event from their own server', async () => {
      const home = service(getStorage());
      const { rooms } = home;
      const { alice, roomId, mallory } = await roomWithRemoteMember(home);
      const own = await remotePdu(home, version, roomId, { type: 'm.room.message', sender: mallory, content: { msgtype: 'm.text', body: 'mine' } });
      const redaction = await redactionBy(home, roomId, mallory, own.eventId);
      expect((await rooms.getEvents([own.eventId]))[0]?.redactedBy).toBe(redaction.eventId);
      const page = await rooms.getMessages(alice, roomId, { dir: 'b', limit: 50 });
      expect(page.chunk.map((event) => event.event_id)).toContain(redaction.eventId);
    });

    it('applies a remote moderator’s redaction, judged by the power levels before it', async () => {
      const home = service(getStorage());
      const { rooms } = home;
      const { alice, roomId, mallory, target } = await roomWithRemoteMember(home);
      const levels = (await rooms.getCurrentState(roomId)).find((event) => event.type === 'm.room.power_levels')?.pdu.content as JsonObject;
      const users = { ...(levels.users as JsonObject), [mallory]: 50 };
      await rooms.sendEvent({ roomId, sender: alice.userId, type: 'm.room.power_levels', stateKey: '', content: { ...levels, users } });
      const redaction = await redactionBy(home, roomId, mallory, target);
      expect((await rooms.getEvents([target]))[0]?.redactedBy).toBe(redaction.eventId);
      expect((await rooms.getEvent(alice, roomId, target)).content).toEqual({});
    });

    it('never applies a redaction to an event of another room', async () => {
      const home = service(getStorage());
      const { rooms } = home;
      const { alice, roomId, mallory } = await roomWithRemoteMember(home);
      const { roomId: otherRoom } = await rooms.createRoom(alice, { preset: 'public_chat', room_version: versionId });
      await remotePdu(home, version, otherRoom, { type: 'm.room.member', sender: mallory, stateKey: mallory, content: { membership: 'join' } });
      // Mallory's own event, in the other room: same server, but not this room.
      const elsewhere = await remotePdu(home, version, otherRoom, { type: 'm.room.message', sender: mallory, content: { body: 'there' } });
      const redaction = await redactionBy(home, roomId, mallory, elsewhere.eventId);
      expect(redaction.rejectedReason).toBeNull();
      expect((await rooms.getEvents([elsewhere.eventId]))[0]?.redactedBy).toBeNull();
    });

    it('leaves a redaction of an event it does not hold unapplied and unserved', async () => {
      const home = service(getStorage());
      const { rooms } = home;
      const { alice, roomId, mallory } = await roomWithRemoteMember(home);
      const unknown = `$${randomBytes(32).toString('base64url').slice(0, 43)}`;
      const redaction = await redactionBy(home, roomId, mallory, unknown);
      expect(redaction.rejectedReason).toBeNull();
      const page = await rooms.getMessages(alice, roomId, { dir: 'b', limit: 50 });
      expect(page.chunk.map((event) => event.event_id)).not.toContain(redaction.eventId);
    });
  });
});
