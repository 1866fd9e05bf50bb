import { describe, expect, it } from 'vitest';
import { getRoomVersion } from '../room-versions/table.js';
import { isValidEventId, parseEventId } from './event-id.js';

const V3_ID = '$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o';
const V4_ID = '$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg';
const V3_WITH_SLASH = '$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk';

describe('parseEventId', () => {
  it('parses the spec examples of each form', () => {
    expect(parseEventId('$a4ecee13e2accdadf56c1025:example.com')).toStrictEqual({
      kind: 'with-domain',
      opaque: 'a4ecee13e2accdadf56c1025',
      serverName: 'example.com',
    });
    expect(parseEventId(V4_ID)).toStrictEqual({ kind: 'hash', hash: V4_ID.slice(1), alphabet: 'url-safe' });
    expect(parseEventId(V3_WITH_SLASH)).toStrictEqual({ kind: 'hash', hash: V3_WITH_SLASH.slice(1), alphabet: 'standard' });
  });

  it('accepts only the format of the given room version', () => {
    const [v1, v3, v4, v12] = ['1', '3', '4', '12'].map(getRoomVersion) as [ReturnType<typeof getRoomVersion>, ReturnType<typeof getRoomVersion>, ReturnType<typeof getRoomVersion>, ReturnType<typeof getRoomVersion>];
    expect(isValidEventId('$abc:example.org', { roomVersion: v1 })).toBe(true);
    expect(isValidEventId('$abc:example.org', { roomVersion: v3 })).toBe(false);
    expect(isValidEventId(V3_ID, { roomVersion: v3 })).toBe(true);
    expect(isValidEventId(V3_WITH_SLASH, { roomVersion: v3 })).toBe(true);
    expect(isValidEventId(V3_WITH_SLASH, { roomVersion: v4 })).toBe(false);
    expect(isValidEventId(V4_ID, { roomVersion: v3 })).toBe(false);
    expect(isValidEventId(V4_ID, { roomVersion: v12 })).toBe(true);
    expect(isValidEventId(V4_ID, { roomVersion: v1 })).toBe(false);
  });

  it.each(['', '$', '$:example.org', 'abc:example.org', '$abc', `$${'A'.repeat(42)}B`, '$abc:bad host', `$${'a'.repeat(243)}:example.org`])(
    'rejects %j',
    (id) => {
      expect(isValidEventId(id)).toBe(false);
    },
  );
});
