import { describe, expect, it } from 'vitest';
import { chunks, forUpdateSkipLocked, isUniqueViolation, toBoolean, toInteger, toIntegerOrNull } from './dialect.js';
import { forEachDatabase } from '../testing/for-each-database.js';

describe('column readers', () => {
  it('reads integers from numbers, strings and bigints', () => {
    expect(toInteger(5)).toBe(5);
    expect(toInteger('1700000000000')).toBe(1_700_000_000_000);
    expect(toInteger(7n)).toBe(7);
    expect(toIntegerOrNull(null)).toBeNull();
    expect(() => toInteger(undefined)).toThrow(TypeError);
  });

  it('reads booleans the way each dialect stores them', () => {
    expect([true, 1, '1', 't'].map(toBoolean)).toEqual([true, true, true, true]);
    expect([false, 0, '0', 'f', null].map(toBoolean)).toEqual([false, false, false, false, false]);
  });

  it('chunks lists without losing or reordering items', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});

forEachDatabase('dialect helpers', (_getStorage, under) => {
  it('recognises a unique violation from the driver', async () => {
    const { knex } = under.database();
    await knex('rooms').insert({ room_id: '!dup:x', room_version: '12', creator: '@a:x' });
    const error = await knex('rooms')
      .insert({ room_id: '!dup:x', room_version: '12', creator: '@a:x' })
      .then(() => null, (caught: unknown) => caught);
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it.skipIf(under.dialect !== 'postgres')('skips rows another transaction has locked', async () => {
    const { knex } = under.database();
    await knex('stream_positions').insert([
      { stream: 'lock-a', position: 1 },
      { stream: 'lock-b', position: 1 },
    ]);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = knex.transaction(async (trx) => {
      await forUpdateSkipLocked(trx('stream_positions').where({ stream: 'lock-a' }), 'postgres');
      locked();
      await held;
    });
    await isLocked;
    const seen = await knex.transaction(async (trx) =>
      forUpdateSkipLocked(trx('stream_positions').select('stream').whereIn('stream', ['lock-a', 'lock-b']), 'postgres'),
    );
    release();
    await holder;
    expect(seen).toEqual([{ stream: 'lock-b' }]);
  });
});
