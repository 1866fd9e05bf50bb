/**
 * Profile changes through the real rooms domain (as services/registry.ts wires it): new join member events in
 * every joined room, and the directory built from real memberships.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { generateSigningKey } from '@parley/federation';
import { expect, it } from 'vitest';
import { manualClock } from '../../clock.js';
import { validateConfig } from '../../config/load.js';
import { createLogger } from '../../log.js';
import { createMemoryNotifier } from '../../pubsub/memory.js';
import { forEachDatabase } from '../../storage/testing/for-each-database.js';
import { createServices } from '../registry.js';

const SERVER = 'test.example';

/** A fresh user ID in the current grammar (lower case), as registration would make. */
const newUserId = (name: string) => `@${name}-${randomBytes(4).toString('hex')}:${SERVER}`;

forEachDatabase('profile propagation with the rooms domain', (getStorage) => {
  it('sends a new member event with the new profile into joined rooms, and the directory finds room-mates', async () => {
    const services = createServices({
      config: validateConfig({ server_name: SERVER, data_dir: tmpdir() }, { baseDir: tmpdir() }),
      storage: getStorage(),
      notifier: createMemoryNotifier(),
      clock: manualClock(1_700_000_000_000),
      logger: createLogger({ level: 'silent' }),
      serverName: SERVER,
      signingKey: generateSigningKey(),
    });
    const alice = newUserId('alice');
    const bob = newUserId('bob');
    const stranger = newUserId('stranger');
    for (const userId of [alice, bob, stranger]) await services.profile.initProfile(userId, { displayname: userId.slice(1, 6) });
    const asUser = (userId: string) => ({ userId, deviceId: 'DEV', accessTokenId: 1 });

    const { roomId } = await services.rooms.createRoom(asUser(alice), { preset: 'private_chat', invite: [bob] });
    await services.rooms.join(asUser(bob), roomId);
    const { roomId: leftRoom } = await services.rooms.createRoom(asUser(alice), { preset: 'private_chat' });
    await services.rooms.leave(asUser(alice), leftRoom);

    await services.profile.setProfileField(alice, alice, 'displayname', 'Queen of Hearts');
    await services.profile.setProfileField(alice, alice, 'avatar_url', 'mxc://test.example/crown');

    const member = await services.rooms.getStateEvent(asUser(bob), roomId, 'm.room.member', alice);
    expect(member.content).toEqual({ membership: 'join', displayname: 'Queen of Hearts', avatar_url: 'mxc://test.example/crown' });
    const left = (await services.rooms.getCurrentState(leftRoom)).find((e) => e.type === 'm.room.member' && e.stateKey === alice);
    expect(left?.pdu.content.membership).toBe('leave');

    expect(await services.profile.searchUserDirectory(bob, 'hearts', 10)).toEqual({
      results: [{ user_id: alice, display_name: 'Queen of Hearts', avatar_url: 'mxc://test.example/crown' }],
      limited: false,
    });
    expect(await services.profile.searchUserDirectory(stranger, 'hearts', 10)).toEqual({ results: [], limited: false });
  });
});
