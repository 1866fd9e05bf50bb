/**
 * matrix-js-sdk 37.5.0, unmodified, with relations and upgrades: an edit shows as the replacement, a reaction
 * arrives as a relation, a thread reply lands in the client's thread, and the client follows a tombstone.
 */
import { expect, it } from 'vitest';
import { EventType, RelationType, THREAD_RELATION_TYPE, type MatrixClient } from 'matrix-js-sdk';
import { createSdkClient, stopClient, waitForSync } from './support/clients.js';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';

/** Polls `condition` until it holds (sync delivers asynchronously); fails after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function started(client: MatrixClient): Promise<MatrixClient> {
  await client.startClient({ threadSupport: true });
  await waitForSync(client);
  return client;
}

forEachDialect('relations with matrix-js-sdk', (server) => {
  it('edits, reacts, replies in a thread and follows a room upgrade', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const bob = await registerUser(server(), uniqueLocalpart('bob'));
    const a = createSdkClient(server(), alice);
    const b = createSdkClient(server(), bob);
    try {
      const { room_id: roomId } = await a.createRoom({ preset: 'public_chat' as never, name: 'Relations' });
      await b.joinRoom(roomId);
      await started(a);
      await started(b);

      const original = await a.sendMessage(roomId, { msgtype: 'm.text', body: 'helo' } as never);
      await a.sendMessage(roomId, {
        msgtype: 'm.text',
        body: '* hello',
        'm.new_content': { msgtype: 'm.text', body: 'hello' },
        'm.relates_to': { rel_type: RelationType.Replace, event_id: original.event_id },
      } as never);
      await waitFor(() => b.getRoom(roomId)?.findEventById(original.event_id)?.getContent().body === 'hello');
      expect(b.getRoom(roomId)?.findEventById(original.event_id)?.replacingEventId()).toBeDefined();

      const reaction = await b.sendEvent(roomId, EventType.Reaction, { 'm.relates_to': { rel_type: RelationType.Annotation, event_id: original.event_id, key: '👍' } } as never);
      await waitFor(() => a.getRoom(roomId)?.findEventById(reaction.event_id) !== undefined);
      const relations = await a.relations(roomId, original.event_id, RelationType.Annotation, EventType.Reaction);
      expect(relations.events.map((event) => event.getId())).toEqual([reaction.event_id]);

      const reply = await b.sendMessage(roomId, original.event_id, {
        msgtype: 'm.text',
        body: 'in a thread',
        'm.relates_to': { rel_type: THREAD_RELATION_TYPE.name, event_id: original.event_id, is_falling_back: true, 'm.in_reply_to': { event_id: original.event_id } },
      } as never);
      await waitFor(() => a.getRoom(roomId)?.getThread(original.event_id)?.findEventById(reply.event_id) !== undefined);
      // A fresh read of the root carries the thread summary.
      const root = await a.fetchRoomEvent(roomId, original.event_id);
      expect((root.unsigned?.['m.relations'] as Record<string, { count: number }>)['m.thread']?.count).toBe(1);

      const { replacement_room: replacement } = await a.upgradeRoom(roomId, '12');
      await waitFor(() => b.getRoom(roomId)?.currentState.getStateEvents('m.room.tombstone', '') != null);
      // The client reads the successor from the tombstone, as Element does, and joins it.
      const successor: unknown = b.getRoom(roomId)?.currentState.getStateEvents('m.room.tombstone', '')?.getContent().replacement_room;
      expect(successor).toBe(replacement);
      await b.joinRoom(successor as string);
      await waitFor(() => b.getRoom(replacement)?.getMyMembership() === 'join');
      expect(b.getRoom(replacement)?.findPredecessor()?.roomId).toBe(roomId);
    } finally {
      stopClient(a);
      stopClient(b);
    }
  });
});
