import { describe, expect, it } from 'vitest';
import { isValidRoomAlias, parseRoomAlias } from './room-alias.js';

describe('parseRoomAlias', () => {
  it('splits an alias', () => {
    expect(parseRoomAlias('#room:example.org:8448')).toStrictEqual({ localpart: 'room', serverName: 'example.org:8448' });
    expect(parseRoomAlias('#日本 Room:example.org')?.localpart).toBe('日本 Room');
  });

  it.each(['room:example.org', '#room', '#ro\u0000om:example.org', '#ro\udc00om:example.org', '#room:bad host', `#${'a'.repeat(243)}:example.org`])(
    'rejects %j',
    (alias) => {
      expect(isValidRoomAlias(alias)).toBe(false);
    },
  );
});
