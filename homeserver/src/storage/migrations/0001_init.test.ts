import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { migrationSource, MIGRATIONS } from './index.js';

const TABLES = [
  'server_signing_keys',
  'remote_server_keys',
  'stream_positions',
  'rooms',
  'events',
  'event_edges',
  'event_auth_edges',
  'room_forward_extremities',
  'current_state_events',
];

forEachDatabase('migration 0001_init', (_getStorage, under) => {
  it('creates every foundation table', async () => {
    const { knex } = under.database();
    for (const table of TABLES) expect(await knex.schema.hasTable(table), table).toBe(true);
    expect(await knex.schema.hasColumn('events', 'stream_ordering')).toBe(true);
  });

  it('enforces unique stream orderings', async () => {
    const { knex } = under.database();
    const row = (eventId: string) => ({
      event_id: eventId,
      room_id: '!r:x',
      type: 't',
      sender: '@a:x',
      depth: 1,
      origin_server_ts: 1,
      stream_ordering: 1_000_000_001,
      json: '{}',
    });
    await knex('events').insert(row('$unique-1'));
    await expect(knex('events').insert(row('$unique-2'))).rejects.toThrow();
    await knex('events').where({ event_id: '$unique-1' }).delete();
  });

  it('enforces edge foreign keys and cascades deletes to edges', async () => {
    const { knex } = under.database();
    await expect(knex('event_edges').insert({ event_id: '$no-such-event', prev_event_id: '$p' })).rejects.toThrow();
    await knex('events').insert({
      event_id: '$cascade',
      room_id: '!r:x',
      type: 't',
      sender: '@a:x',
      depth: 1,
      origin_server_ts: 1,
      stream_ordering: 1_000_000_002,
      json: '{}',
    });
    await knex('event_edges').insert({ event_id: '$cascade', prev_event_id: '$p' });
    await knex('event_auth_edges').insert({ event_id: '$cascade', auth_event_id: '$a' });
    await knex('events').where({ event_id: '$cascade' }).delete();
    expect(await knex('event_edges').where({ event_id: '$cascade' })).toEqual([]);
    expect(await knex('event_auth_edges').where({ event_id: '$cascade' })).toEqual([]);
  });

  it('rolls back to nothing and forward again', async () => {
    const { knex } = under.database();
    await knex.migrate.rollback({ migrationSource }, true);
    for (const table of TABLES) expect(await knex.schema.hasTable(table), table).toBe(false);
    await knex.migrate.latest({ migrationSource });
    for (const table of TABLES) expect(await knex.schema.hasTable(table), table).toBe(true);
  });
});

it('lists migrations with unique names in ascending order', () => {
  const names = MIGRATIONS.map((migration) => migration.name);
  expect(names).toEqual([...names].sort());
  expect(new Set(names).size).toBe(names.length);
});
