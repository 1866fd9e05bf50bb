import { describe, expect, it } from 'vitest';
import type { SearchCriteria, SearchKey, Storage } from '../index.js';
import { forEachDatabase } from '../testing/for-each-database.js';
import { testEvent, uniqueId } from '../testing/fixtures.js';
import { fts5PrefixQuery } from './search.repo.js';

interface Indexed {
  eventId: string;
  streamOrdering: number;
}

/** Persists an event with `body` as the text of `key` and indexes it, as the search service would. */
async function addText(
  storage: Storage,
  roomId: string,
  body: string,
  options: { sender?: string; key?: SearchKey; type?: string } = {},
): Promise<Indexed> {
  const event = testEvent({ roomId, sender: options.sender ?? '@alice:test.example' });
  const type = options.type ?? 'm.room.message';
  event.pdu.type = type;
  event.pdu.content = { msgtype: 'm.text', body };
  const { streamOrdering } = await storage.events.persist(event);
  await storage.search.index([
    {
      eventId: event.eventId,
      roomId,
      sender: event.pdu.sender,
      type,
      key: options.key ?? 'content.body',
      streamOrdering,
      originServerTs: 1_700_000_000_000,
      body,
    },
  ]);
  return { eventId: event.eventId, streamOrdering };
}

function criteria(term: string, roomIds: string[], extra: Partial<SearchCriteria> = {}): SearchCriteria {
  return { term, roomIds, keys: [], maxStreamOrdering: Number.MAX_SAFE_INTEGER, ...extra };
}

describe('fts5PrefixQuery', () => {
  it('quotes every token as a prefix phrase and drops FTS5 syntax', () => {
    expect(fts5PrefixQuery('hello World')).toBe('"hello"* "World"*');
    expect(fts5PrefixQuery('a AND -b NEAR(c) "d" body:e*')).toBe('"a"* "AND"* "b"* "NEAR"* "c"* "d"* "body"* "e"*');
    expect(fts5PrefixQuery('  ***  "" () ')).toBeNull();
  });
});

forEachDatabase('SearchStore', (getStorage) => {
  it('finds words by case-insensitive prefix, only in the given rooms', async () => {
    const storage = getStorage();
    const roomA = uniqueId('!');
    const roomB = uniqueId('!');
    const hello = await addText(storage, roomA, 'Hello there, General Kenobi');
    await addText(storage, roomA, 'nothing to see');
    await addText(storage, roomB, 'hello from another room');

    const hits = await storage.search.search(criteria('HEL gen', [roomA]), { order: 'recent', limit: 10 });
    expect(hits.map((hit) => hit.eventId)).toEqual([hello.eventId]);
    expect(hits[0]).toMatchObject({ roomId: roomA, sender: '@alice:test.example', body: 'Hello there, General Kenobi' });
    expect(await storage.search.count(criteria('hello', [roomA, roomB]))).toBe(2);
    expect(await storage.search.search(criteria('hello', []), { order: 'recent', limit: 10 })).toEqual([]);
  });

  it('ranks events with more occurrences of the term higher', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const weak = await addText(storage, roomId, 'apple cherry grape kiwi lemon mango melon peach');
    const strong = await addText(storage, roomId, 'apple apple apple banana');
    const medium = await addText(storage, roomId, 'apple apple pear plum quince');

    const hits = await storage.search.search(criteria('apple', [roomId]), { order: 'rank', offset: 0, limit: 10 });
    expect(hits.map((hit) => hit.eventId)).toEqual([strong.eventId, medium.eventId, weak.eventId]);
    expect(hits[0]?.rank).toBeGreaterThan(hits[2]?.rank as number);
    expect(hits.every((hit) => Number.isFinite(hit.rank) && hit.rank > 0)).toBe(true);
  });

  it('orders newest first and pages with a stream position, unaffected by later writes', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const added: Indexed[] = [];
    for (let i = 0; i < 7; i += 1) added.push(await addText(storage, roomId, `pager message ${i}`));
    const snapshot = (added.at(-1) as Indexed).streamOrdering;
    const wanted = criteria('pager', [roomId], { maxStreamOrdering: snapshot });

    const first = await storage.search.search(wanted, { order: 'recent', limit: 3 });
    expect(first.map((hit) => hit.eventId)).toEqual(added.slice(4).reverse().map((event) => event.eventId));
    await addText(storage, roomId, 'pager message arriving between pages');
    const second = await storage.search.search(wanted, { order: 'recent', before: first.at(-1)?.streamOrdering, limit: 3 });
    const third = await storage.search.search(wanted, { order: 'recent', before: second.at(-1)?.streamOrdering, limit: 3 });
    const all = [...first, ...second, ...third].map((hit) => hit.eventId);
    expect(all).toEqual(added.reverse().map((event) => event.eventId));
  });

  it('pages rank order by offset without repeating or skipping', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const ids: string[] = [];
    for (let i = 1; i <= 5; i += 1) ids.push((await addText(storage, roomId, `${'zebra '.repeat(i)}stripes`)).eventId);
    const wanted = criteria('zebra', [roomId]);
    const pages = [];
    for (let offset = 0; offset < 6; offset += 2) pages.push(...(await storage.search.search(wanted, { order: 'rank', offset, limit: 2 })));
    expect(pages.map((hit) => hit.eventId)).toEqual([...ids].reverse());
  });

  it('never returns redacted events, and remove/removeRoom drop rows', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const kept = await addText(storage, roomId, 'secret plan alpha');
    const redacted = await addText(storage, roomId, 'secret plan beta');
    const removed = await addText(storage, roomId, 'secret plan gamma');
    await storage.events.markRedacted(redacted.eventId, '$redaction');
    expect(await storage.search.remove([removed.eventId, '$unknown'])).toBe(1);

    const hits = await storage.search.search(criteria('secret', [roomId]), { order: 'recent', limit: 10 });
    expect(hits.map((hit) => hit.eventId)).toEqual([kept.eventId]);
    expect(await storage.search.count(criteria('secret', [roomId]))).toBe(1);
    // The FTS side follows the table: a removed row's words no longer match.
    expect(await storage.search.search(criteria('gamma', [roomId]), { order: 'rank', offset: 0, limit: 10 })).toEqual([]);

    expect(await storage.search.removeRoom(roomId)).toBe(2);
    expect(await storage.search.count(criteria('secret', [roomId]))).toBe(0);
  });

  it('filters by key, type, sender and snapshot', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const body = await addText(storage, roomId, 'orchid garden', { sender: '@bob:test.example' });
    const name = await addText(storage, roomId, 'orchid room', { key: 'content.name', type: 'm.room.name' });
    const ids = async (extra: Partial<SearchCriteria>) =>
      (await storage.search.search(criteria('orchid', [roomId], extra), { order: 'recent', limit: 10 })).map((hit) => hit.eventId);

    expect(await ids({ keys: ['content.name'] })).toEqual([name.eventId]);
    expect(await ids({ keys: ['content.body', 'content.topic'] })).toEqual([body.eventId]);
    expect(await ids({ types: ['m.room.message'] })).toEqual([body.eventId]);
    expect(await ids({ types: [] })).toEqual([]);
    expect(await ids({ senders: ['@bob:test.example'] })).toEqual([body.eventId]);
    expect(await ids({ notSenders: ['@bob:test.example'] })).toEqual([name.eventId]);
    expect(await ids({ maxStreamOrdering: body.streamOrdering })).toEqual([body.eventId]);
  });

  it('treats FTS and tsquery syntax in a term as plain text, never as an error', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const quote = await addText(storage, roomId, "don't panic: it's (almost) NEAR done & ready | ok");
    const terms = ['"', "'", '\\', 'don\'t', 'NEAR(', 'AND OR NOT', '*', '-panic', 'body:panic', '&|!():*<->', "it's'':*", '(almost'];
    for (const term of terms) {
      await expect(storage.search.search(criteria(term, [roomId]), { order: 'rank', offset: 0, limit: 5 })).resolves.toBeInstanceOf(Array);
      await expect(storage.search.count(criteria(term, [roomId]))).resolves.toBeTypeOf('number');
    }
    const found = await storage.search.search(criteria("don't", [roomId]), { order: 'rank', offset: 0, limit: 5 });
    expect(found.map((hit) => hit.eventId)).toEqual([quote.eventId]);
    const operators = await storage.search.search(criteria('NEAR done', [roomId]), { order: 'rank', offset: 0, limit: 5 });
    expect(operators.map((hit) => hit.eventId)).toEqual([quote.eventId]);
  });

  it('indexing is idempotent per event', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const once = await addText(storage, roomId, 'duplicate words');
    await storage.search.index([
      { eventId: once.eventId, roomId, sender: '@a:x', type: 'm.room.message', key: 'content.body', streamOrdering: once.streamOrdering, originServerTs: 0, body: 'other' },
    ]);
    expect(await storage.search.count(criteria('duplicate', [roomId]))).toBe(1);
    expect(await storage.search.count(criteria('other', [roomId]))).toBe(0);
  });

  it('reads timeline neighbours and the member event at a position', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    const member = testEvent({ roomId, type: 'm.room.member', stateKey: '@alice:test.example' });
    const memberAt = await storage.events.persist(member);
    const before = await addText(storage, roomId, 'one');
    await storage.events.persist(testEvent({ roomId, outlier: true }));
    const middle = await addText(storage, roomId, 'two');
    const after = await addText(storage, roomId, 'three');

    const around = await storage.search.neighbours(roomId, middle.streamOrdering, { before: 5, after: 1 });
    expect(around).toEqual({ before: [before.eventId, member.eventId], after: [after.eventId] });
    expect(await storage.search.neighbours(roomId, middle.streamOrdering, { before: 0, after: 0 })).toEqual({ before: [], after: [] });
    expect(await storage.search.memberEventIdAt(roomId, '@alice:test.example', middle.streamOrdering)).toBe(member.eventId);
    expect(await storage.search.memberEventIdAt(roomId, '@alice:test.example', memberAt.streamOrdering - 1)).toBeNull();
  });
});

forEachDatabase('SearchStore encrypted rooms', (getStorage) => {
  it('never returns rows of a room whose current state has m.room.encryption', async () => {
    const storage = getStorage();
    const roomId = uniqueId('!');
    await addText(storage, roomId, 'plaintext before encryption');
    const encryption = testEvent({ roomId, type: 'm.room.encryption', stateKey: '' });
    await storage.events.persist(encryption);
    expect(await storage.search.count(criteria('plaintext', [roomId]))).toBe(1);
    await storage.events.updateCurrentState(roomId, {
      set: [{ type: 'm.room.encryption', stateKey: '', eventId: encryption.eventId }],
      remove: [],
    });
    expect(await storage.search.count(criteria('plaintext', [roomId]))).toBe(0);
    expect(await storage.search.search(criteria('plaintext', [roomId]), { order: 'recent', limit: 5 })).toEqual([]);
  });
});
