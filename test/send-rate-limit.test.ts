/**
 * PUT /rooms/{roomId}/send is counted against the configured `message` rate limit, per user.
 * https://spec.matrix.org/v1.19/client-server-api/#rate-limiting
 */
import { expect, it } from 'vitest';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';
import { api } from './support/http.js';

const V3 = '/_matrix/client/v3';

forEachDialect(
  'send rate limit',
  (server) => {
    it('answers 429 M_LIMIT_EXCEEDED with retry_after_ms beyond the burst, per user', async () => {
      const alice = await registerUser(server(), uniqueLocalpart('alice'));
      const bob = await registerUser(server(), uniqueLocalpart('bob'));
      const created = await api(server(), 'POST', `${V3}/createRoom`, { token: alice.accessToken, body: { preset: 'public_chat' } });
      const roomId = encodeURIComponent(created.body.room_id as string);
      expect((await api(server(), 'POST', `${V3}/join/${roomId}`, { token: bob.accessToken, body: {} })).status).toBe(200);

      const send = (token: string, txnId: string) =>
        api(server(), 'PUT', `${V3}/rooms/${roomId}/send/m.room.message/${txnId}`, { token, body: { msgtype: 'm.text', body: txnId } });
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof send>> | undefined;
      for (let i = 0; i < 5; i++) {
        const response = await send(alice.accessToken, `t${i}`);
        statuses.push(response.status);
        if (response.status === 429) limited = response;
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
      // Counters are per user: bob still sends.
      expect((await send(bob.accessToken, 'b0')).status).toBe(200);
      // The refused sends wrote nothing: only alice's three messages are in the room.
      const messages = await api(server(), 'GET', `${V3}/rooms/${roomId}/messages?dir=b&limit=20`, { token: alice.accessToken });
      const bodies = (messages.body.chunk as { type: string; content: { body?: string } }[])
        .filter((event) => event.type === 'm.room.message')
        .map((event) => event.content.body);
      expect(bodies.sort()).toEqual(['b0', 't0', 't1', 't2']);
    });
  },
  { config: { rate_limits: { enabled: true, message: { per_second: 0.01, burst_count: 3 } } } },
);
