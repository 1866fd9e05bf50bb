/**
 * Third-party network lookups with no bridge declaring a protocol: an empty protocol list and 404 for every lookup.
 * https://spec.matrix.org/v1.19/client-server-api/#third-party-networks
 */
import { expect, it } from 'vitest';
import { api } from './support/http.js';
import { forEachDialect, registerUser, uniqueLocalpart } from './support/homeserver.js';

forEachDialect('thirdparty', (server) => {
  it('lists no protocols', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    const response = await api(server(), 'GET', '/_matrix/client/v3/thirdparty/protocols', { token: alice.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
  });

  it('answers 404 M_NOT_FOUND for an unknown protocol and for every lookup', async () => {
    const alice = await registerUser(server(), uniqueLocalpart('alice'));
    for (const path of ['protocol/irc', 'location/irc?searchFields=x', 'user/irc', 'location?alias=%23a%3Ab', 'user?userid=%40a%3Ab']) {
      const response = await api(server(), 'GET', `/_matrix/client/v3/thirdparty/${path}`, { token: alice.accessToken });
      expect(response.status, path).toBe(404);
      expect(response.body.errcode, path).toBe('M_NOT_FOUND');
    }
  });

  it('requires an access token', async () => {
    const response = await api(server(), 'GET', '/_matrix/client/v3/thirdparty/protocols');
    expect(response.status).toBe(401);
    expect(response.body.errcode).toBe('M_MISSING_TOKEN');
  });
});
