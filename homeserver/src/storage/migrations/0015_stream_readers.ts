/**
 * 0015: Durable stream readers. One row per reader of the `events` stream (push counts, search index, device-list
 * membership changes): the last stream position whose derived rows it has committed. A reader writes its derived
 * rows and moves its row in one transaction, under the row's lock, so each event is processed exactly once even
 * across crashes and processes. See services/stream-readers/ and spec/pipeline.md.
 */
import type { Knex } from 'knex';

export const name = '0015_stream_readers';

/** The readers that before this migration ran as after-commit listeners: they have seen every committed event. */
const EXISTING_READERS = ['push', 'search', 'device_lists'] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stream_readers', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('position').notNullable();
  });
  // A database that already has events: the old listeners processed them, so the readers start after them.
  const row: { position: unknown } | undefined = await knex('stream_positions').select('position').where({ stream: 'events' }).first();
  const position = row === undefined ? 0 : Number(row.position);
  await knex('stream_readers').insert(EXISTING_READERS.map((reader) => ({ name: reader, position })));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('stream_readers');
}
