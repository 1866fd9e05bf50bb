import { describe, expect, it } from 'vitest';
import { getRoomVersion } from '../room-versions/table.js';
import { createEventIdFromRoomId, isValidRoomId, parseRoomId, roomIdFromCreateEventId } from './room-id.js';

const HASH_ID = '!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ';

describe('parseRoomId', () => {
  it('parses the domain form', () => {
    expect(parseRoomId('!UcYsUzyxTGDxLBEvLy:example.org')).toStrictEqual({
      kind: 'with-domain',
      localpart: 'UcYsUzyxTGDxLBEvLy',
      serverName: 'example.org',
    });
  });

  it('parses the v12 hash form (spec example)', () => {
    expect(parseRoomId(HASH_ID)).toStrictEqual({ kind: 'hash', hash: HASH_ID.slice(1) });
  });

  it('accepts only the form of the given room version', () => {
    const v11 = getRoomVersion('11');
    const v12 = getRoomVersion('12');
    expect(isValidRoomId(HASH_ID, { roomVersion: v12 })).toBe(true);
    expect(isValidRoomId(HASH_ID, { roomVersion: v11 })).toBe(false);
    expect(isValidRoomId('!abc:example.org', { roomVersion: v11 })).toBe(true);
    expect(isValidRoomId('!abc:example.org', { roomVersion: v12 })).toBe(false);
  });

  it.each([
    '!',
    'abc:example.org',
    '!abc',
    '!a\u0000b:example.org',
    '!abc:bad host',
    `!${'A'.repeat(42)}B`,
    `!${'A'.repeat(44)}`,
    `!${'A'.repeat(42)}+`,
  ])('rejects %j', (id) => {
    expect(isValidRoomId(id)).toBe(false);
  });

  it('allows any non-surrogate characters in the domain-form localpart', () => {
    expect(isValidRoomId('!日本 x:example.org')).toBe(true);
  });

  it('limits domain-form IDs to 255 bytes', () => {
    expect(isValidRoomId(`!${'a'.repeat(242)}:example.org`)).toBe(true);
    expect(isValidRoomId(`!${'a'.repeat(243)}:example.org`)).toBe(false);
  });
});

describe('room ID <-> create event ID', () => {
  it('swaps the sigil', () => {
    expect(createEventIdFromRoomId(HASH_ID)).toBe(`$${HASH_ID.slice(1)}`);
    expect(roomIdFromCreateEventId(`$${HASH_ID.slice(1)}`)).toBe(HASH_ID);
    expect(() => roomIdFromCreateEventId(HASH_ID)).toThrow();
  });
});
