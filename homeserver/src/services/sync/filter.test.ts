import { describe, expect, it } from 'vitest';
import { parseDottedPath } from '@parley/federation';
import { MatrixError } from '../../matrix-error.js';
import {
  DEFAULT_TIMELINE_LIMIT,
  MAX_TIMELINE_LIMIT,
  eventMatches,
  filterEvents,
  parseFilterJson,
  pickEventFields,
  resolveFilter,
  roomAllowed,
  typeMatches,
} from './filter.js';

function errcodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MatrixError);
    expect((error as MatrixError).status).toBe(400);
    return (error as MatrixError).errcode;
  }
  throw new Error('did not throw');
}

describe('filter validation', () => {
  it('accepts the spec example and keeps unknown keys', () => {
    const filter = parseFilterJson({
      room: {
        state: { types: ['m.room.*'], not_rooms: ['!726s6s6q:example.com'] },
        timeline: { limit: 10, types: ['m.room.message'], not_senders: ['@spam:example.com'] },
        ephemeral: { types: ['m.receipt', 'm.typing'] },
      },
      presence: { types: ['m.presence'], not_senders: ['@alice:example.com'] },
      event_format: 'client',
      event_fields: ['type', 'content', 'sender'],
      'org.example.custom': true,
    });
    expect(filter.room?.timeline?.limit).toBe(10);
    expect((filter as Record<string, unknown>)['org.example.custom']).toBe(true);
  });

  it.each([
    [[], 'M_BAD_JSON'],
    ['x', 'M_BAD_JSON'],
    [{ event_format: 'xml' }, 'M_BAD_JSON'],
    [{ event_fields: 'content' }, 'M_BAD_JSON'],
    [{ room: { timeline: { limit: -1 } } }, 'M_BAD_JSON'],
    [{ room: { timeline: { limit: 1.5 } } }, 'M_BAD_JSON'],
    [{ room: { timeline: { limit: '10' } } }, 'M_BAD_JSON'],
    [{ room: { include_leave: 'yes' } }, 'M_BAD_JSON'],
    [{ room: { rooms: 'all' } }, 'M_BAD_JSON'],
    [{ room: { rooms: ['#alias:hs'] } }, 'M_INVALID_PARAM'],
    [{ room: { state: { not_senders: ['alice'] } } }, 'M_INVALID_PARAM'],
    [{ presence: { senders: ['!room:hs'] } }, 'M_INVALID_PARAM'],
  ])('rejects %j with %s', (input, errcode) => {
    expect(errcodeOf(() => parseFilterJson(input))).toBe(errcode);
  });
});

describe('filter defaults', () => {
  it('applies the default timeline limit, caps large ones and defaults the sections', () => {
    const resolved = resolveFilter({});
    expect(resolved.timelineLimit).toBe(DEFAULT_TIMELINE_LIMIT);
    expect(resolved.includeLeave).toBe(false);
    expect(resolved.eventFormat).toBe('client');
    expect(resolveFilter({ room: { timeline: { limit: 10 ** 9 } } }).timelineLimit).toBe(MAX_TIMELINE_LIMIT);
    expect(resolveFilter({ room: { timeline: { limit: 3 } } }).timelineLimit).toBe(3);
  });

  it('applies rooms and not_rooms, not_rooms winning', () => {
    const filter = resolveFilter({ room: { rooms: ['!a:hs', '!b:hs'], not_rooms: ['!b:hs'] } });
    expect(roomAllowed(filter, '!a:hs')).toBe(true);
    expect(roomAllowed(filter, '!b:hs')).toBe(false);
    expect(roomAllowed(filter, '!c:hs')).toBe(false);
    expect(roomAllowed(resolveFilter({}), '!c:hs')).toBe(true);
  });
});

describe('event matching', () => {
  const message = { type: 'm.room.message', sender: '@bob:hs', roomId: '!r:hs', content: { body: 'hi' } };
  const image = { type: 'm.room.message', sender: '@bob:hs', roomId: '!r:hs', content: { url: 'mxc://hs/x' } };

  it('matches types with * wildcards and lets not_types win', () => {
    expect(typeMatches('m.room.*', 'm.room.message')).toBe(true);
    expect(typeMatches('m.*.message', 'm.room.message')).toBe(true);
    expect(typeMatches('m.room.*', 'm.roomx')).toBe(false);
    expect(typeMatches('m.room.message', 'm.room.messages')).toBe(false);
    expect(typeMatches('m.room.(x)', 'm.room.(x)')).toBe(true);
    expect(typeMatches('*', 'anything')).toBe(true);
    expect(eventMatches({ types: ['m.room.*'], not_types: ['m.room.message'] }, message)).toBe(false);
    expect(eventMatches({ types: ['m.room.*'] }, message)).toBe(true);
    expect(eventMatches({ types: [] }, message)).toBe(false);
  });

  it('matches senders exactly, not_senders winning', () => {
    expect(eventMatches({ senders: ['@bob:hs'] }, message)).toBe(true);
    expect(eventMatches({ senders: ['@alice:hs'] }, message)).toBe(false);
    expect(eventMatches({ senders: ['@bob:hs'], not_senders: ['@bob:hs'] }, message)).toBe(false);
  });

  it('matches rooms and contains_url', () => {
    expect(eventMatches({ not_rooms: ['!r:hs'] }, message)).toBe(false);
    expect(eventMatches({ rooms: ['!other:hs'] }, message)).toBe(false);
    expect(eventMatches({ contains_url: true }, message)).toBe(false);
    expect(eventMatches({ contains_url: true }, image)).toBe(true);
    expect(eventMatches({ contains_url: false }, image)).toBe(false);
    expect(eventMatches({ contains_url: false }, message)).toBe(true);
  });

  it('keeps the first or last `limit` matching events', () => {
    const events = [1, 2, 3, 4].map((n) => ({ ...message, n }));
    expect(filterEvents({ limit: 2 }, events).map((event) => event.n)).toEqual([1, 2]);
    expect(filterEvents({ limit: 2 }, events, { keep: 'last' }).map((event) => event.n)).toEqual([3, 4]);
    expect(filterEvents({ limit: 0 }, events)).toEqual([]);
  });
});

describe('event_fields', () => {
  const event = {
    type: 'm.room.message',
    sender: '@bob:hs',
    content: { body: 'hi', 'm.relates_to': { rel_type: 'm.thread' }, 'a\\b': 1 },
    unsigned: { age: 5 },
  };

  it('splits dot-separated paths with escapes', () => {
    expect(parseDottedPath('content.m\\.relates_to')).toEqual(['content', 'm.relates_to']);
    expect(parseDottedPath('content.m\\\\foo')).toEqual(['content', 'm\\foo']);
    expect(parseDottedPath('content.\\x')).toEqual(['content', '\\x']);
  });

  it('keeps only the named fields', () => {
    expect(pickEventFields(event, ['type', 'content.body'])).toEqual({ type: 'm.room.message', content: { body: 'hi' } });
    expect(pickEventFields(event, ['content.m\\.relates_to.rel_type', 'nope', 'content.body.deeper'])).toEqual({
      content: { 'm.relates_to': { rel_type: 'm.thread' } },
    });
    expect(pickEventFields(event, ['content', 'content.body']).content).toBe(event.content);
    expect(pickEventFields(event, undefined)).toBe(event);
  });
});
