import { describe, expect, it } from 'vitest';
import { guestMayCall, requireGuestAllowed } from './guest-access.js';

const V3 = '/_matrix/client/v3';

describe('guest endpoint list', () => {
  it('allows the spec list, with the optional state key and trailing slash', () => {
    const allowed: [string, string][] = [
      ['GET', `${V3}/sync`],
      ['GET', `${V3}/sync/`],
      ['HEAD', `${V3}/sync`],
      ['GET', `${V3}/rooms/!r:hs/state`],
      ['GET', `${V3}/rooms/!r:hs/state/m.room.name`],
      ['GET', `${V3}/rooms/!r:hs/state/m.room.name/`],
      ['GET', `${V3}/rooms/!r:hs/state/m.room.member/%40a%3Ahs`],
      ['PUT', `${V3}/rooms/!r:hs/state/m.room.topic/`],
      ['PUT', `${V3}/rooms/!r:hs/send/m.room.message/txn1`],
      ['POST', `${V3}/rooms/!r:hs/join`],
      ['POST', `${V3}/join/%23room%3Ahs`],
      ['PUT', `${V3}/profile/%40g%3Ahs/displayname`],
      ['DELETE', `${V3}/profile/%40g%3Ahs/displayname`],
      ['PUT', `${V3}/devices/DEV`],
      ['POST', `${V3}/keys/claim`],
      ['GET', '/_matrix/client/v1/media/download/hs/abc/name.png'],
    ];
    for (const [method, path] of allowed) expect(guestMayCall(method, path), `${method} ${path}`).toBe(true);
  });

  it('refuses everything else, including other methods and profile fields', () => {
    const refused: [string, string][] = [
      ['POST', `${V3}/createRoom`],
      ['POST', `${V3}/rooms/!r:hs/invite`],
      ['PUT', `${V3}/profile/%40g%3Ahs/avatar_url`],
      ['GET', `${V3}/profile/%40g%3Ahs/displayname`],
      ['DELETE', `${V3}/devices/DEV`],
      ['POST', `${V3}/sync`],
      ['GET', `${V3}/rooms/!r:hs/state/m.room.name/key/extra`],
      ['GET', `${V3}/pushrules/`],
      ['POST', `${V3}/user/%40g%3Ahs/filter`],
      ['POST', `${V3}/logout`],
      ['GET', `${V3}/syncx`],
      ['PUT', `${V3}/room_keys/keys`],
    ];
    for (const [method, path] of refused) expect(guestMayCall(method, path), `${method} ${path}`).toBe(false);
    expect(() => requireGuestAllowed('POST', `${V3}/createRoom`)).toThrow(expect.objectContaining({ status: 403, errcode: 'M_GUEST_ACCESS_FORBIDDEN' }));
  });
});
