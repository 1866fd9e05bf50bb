import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { uniqueId } from '../testing/fixtures.js';

forEachDatabase('RoomRepository', (getStorage) => {
  it('records a room once and lists it publicly on request', async () => {
    const { rooms } = getStorage();
    const roomId = uniqueId('!');
    await rooms.addRoom({ roomId, roomVersion: '12', creator: '@a:x', isPublic: false });
    // Adding again changes nothing: a room's version and creator are fixed by its create event.
    await rooms.addRoom({ roomId, roomVersion: '1', creator: '@b:x', isPublic: true });
    expect(await rooms.getRoom(roomId)).toEqual({ roomId, roomVersion: '12', creator: '@a:x', isPublic: false });
    await rooms.setPublic(roomId, true);
    expect((await rooms.getRoom(roomId))?.isPublic).toBe(true);
    expect(await rooms.getRoom(uniqueId('!'))).toBeNull();
  });
});
