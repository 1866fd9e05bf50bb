import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StoredEvent } from '../../storage/index.js';
import { decodeBatchToken, encodeBatchToken } from './batch-token.js';
import { admittedTypes, highlightsFor, pageLimit, termWords } from './criteria.js';
import { searchEntryFor } from './extract.js';

function stored(type: string, content: Record<string, unknown>, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    eventId: '$e',
    roomId: '!r:x',
    type,
    stateKey: type === 'm.room.message' ? null : '',
    sender: '@a:x',
    depth: 1,
    originServerTs: 5,
    streamOrdering: 9,
    pdu: { type, sender: '@a:x', content: content as StoredEvent['pdu']['content'], origin_server_ts: 5, depth: 1, prev_events: [], auth_events: [], hashes: { sha256: '' }, signatures: {} },
    outlier: false,
    rejectedReason: null,
    redactedBy: null,
    ...extra,
  };
}

describe('searchEntryFor', () => {
  it('takes content.body of messages, content.name and content.topic of room state', () => {
    expect(searchEntryFor(stored('m.room.message', { msgtype: 'm.text', body: 'hi' }))).toMatchObject({ key: 'content.body', body: 'hi', streamOrdering: 9 });
    expect(searchEntryFor(stored('m.room.name', { name: 'Room' }))).toMatchObject({ key: 'content.name', body: 'Room' });
    expect(searchEntryFor(stored('m.room.topic', { topic: 'T', 'm.topic': { 'm.text': [{ body: 'T' }] } }))?.body).toBe('T');
    expect(searchEntryFor(stored('m.room.topic', { 'm.topic': { 'm.text': [{ mimetype: 'text/html', body: '<i>x</i>' }, { mimetype: 'text/plain', body: 'x' }] } }))?.body).toBe('x');
  });

  it('skips encrypted, non-text, rejected, outlier, redacted and non-state name events', () => {
    expect(searchEntryFor(stored('m.room.encrypted', { ciphertext: 'abc', body: 'leak' }))).toBeNull();
    expect(searchEntryFor(stored('m.room.message', { body: 42 }))).toBeNull();
    expect(searchEntryFor(stored('m.room.message', { body: '   ' }))).toBeNull();
    expect(searchEntryFor(stored('m.room.message', { body: 'x' }, { rejectedReason: 'auth' }))).toBeNull();
    expect(searchEntryFor(stored('m.room.message', { body: 'x' }, { outlier: true }))).toBeNull();
    expect(searchEntryFor(stored('m.room.message', { body: 'x' }, { redactedBy: '$r' }))).toBeNull();
    expect(searchEntryFor(stored('m.room.name', { name: 'x' }, { stateKey: 'other' }))).toBeNull();
    expect(searchEntryFor(stored('m.room.name', { name: 'x' }, { stateKey: null }))).toBeNull();
  });
});

describe('criteria', () => {
  it('clamps the page size', () => {
    expect(pageLimit(undefined)).toBe(10);
    expect(pageLimit({ limit: 0 })).toBe(10);
    expect(pageLimit({ limit: 3 })).toBe(3);
    expect(pageLimit({ limit: 10_000 })).toBe(100);
  });

  it('resolves type wildcards against the indexed types', () => {
    expect(admittedTypes(undefined)).toBeUndefined();
    expect(admittedTypes({ types: ['m.room.*'] })).toEqual(['m.room.message', 'm.room.name', 'm.room.topic']);
    expect(admittedTypes({ types: ['m.room.*'], not_types: ['m.room.n*'] })).toEqual(['m.room.message', 'm.room.topic']);
    expect(admittedTypes({ types: ['m.room.message.*'] })).toEqual([]);
    expect(admittedTypes({ not_types: ['*'] })).toEqual([]);
  });

  it('highlights the term words and the words they prefix', () => {
    expect(termWords('Hello, hello WORLD!')).toEqual(['hello', 'world']);
    expect(highlightsFor('rain', ['Rainbow after the rain', 'train'])).toEqual(['rain', 'rainbow']);
  });
});

describe('next_batch tokens', () => {
  it('round-trip for their own order', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.boolean(), (snapshot, at, recent) => {
        const position = recent ? { order: 'recent' as const, snapshot, before: at } : { order: 'rank' as const, snapshot, offset: at };
        expect(decodeBatchToken(encodeBatchToken(position), position.order)).toEqual(position);
      }),
    );
  });

  it('are refused for another order or when forged', () => {
    const token = encodeBatchToken({ order: 'rank', snapshot: 1, offset: 2 });
    expect(() => decodeBatchToken(token, 'recent')).toThrow(expect.objectContaining({ errcode: 'M_INVALID_PARAM' }));
    for (const bad of ['', '!!!', 'e30', Buffer.from('{"v":1,"o":"r","s":-1,"p":0}').toString('base64url'), 'x'.repeat(300)]) {
      expect(() => decodeBatchToken(bad, 'rank')).toThrow(expect.objectContaining({ status: 400 }));
    }
  });
});
