/**
 * 0006: the full-text index of searchable event text (server-side search).
 * https://spec.matrix.org/v1.19/client-server-api/#server-side-search
 *
 * `event_search` is one table on both dialects: one row per indexed event with the columns search filters on.
 * The text index itself is the one place the dialects differ (a documented exception to "one schema"):
 * - SQLite: an FTS5 external-content table `event_search_fts` over `event_search.body`, kept in step by
 *   triggers, ranked with bm25.
 * - PostgreSQL: a generated `tsvector` column with a GIN index, ranked with ts_rank.
 * Both tokenise without stemming or accent folding (FTS5 `unicode61 remove_diacritics 0`, PostgreSQL `simple`)
 * so the same query finds the same events on either database.
 */
import type { Knex } from 'knex';

const ID_LENGTH = 255;

export const name = '0006_search';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_search', (t) => {
    t.increments('id').primary();
    t.string('event_id', ID_LENGTH).notNullable().unique('event_search_event_id_key');
    t.string('room_id', ID_LENGTH).notNullable();
    t.string('sender', ID_LENGTH).notNullable();
    t.string('type', ID_LENGTH).notNullable();
    /** Which spec key the text came from: `content.body`, `content.name` or `content.topic`. */
    t.string('key', 32).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.bigInteger('origin_server_ts').notNullable();
    t.text('body').notNullable();
    // "recent" order within the rooms a user may search, and purging a room once it turns encrypted.
    t.index(['room_id', 'stream_ordering'], 'event_search_room_stream_idx');
  });

  if (knex.client.config.client === 'pg') {
    await knex.raw(
      `ALTER TABLE event_search ADD COLUMN vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED`,
    );
    await knex.raw('CREATE INDEX event_search_vector_idx ON event_search USING GIN (vector)');
    return;
  }
  await knex.raw(
    `CREATE VIRTUAL TABLE event_search_fts USING fts5(body, content='event_search', content_rowid='id', tokenize='unicode61 remove_diacritics 0')`,
  );
  await knex.raw(
    `CREATE TRIGGER event_search_ai AFTER INSERT ON event_search BEGIN
       INSERT INTO event_search_fts(rowid, body) VALUES (new.id, new.body);
     END`,
  );
  await knex.raw(
    `CREATE TRIGGER event_search_ad AFTER DELETE ON event_search BEGIN
       INSERT INTO event_search_fts(event_search_fts, rowid, body) VALUES ('delete', old.id, old.body);
     END`,
  );
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'pg') {
    await knex.raw('DROP TRIGGER IF EXISTS event_search_ad');
    await knex.raw('DROP TRIGGER IF EXISTS event_search_ai');
    await knex.raw('DROP TABLE IF EXISTS event_search_fts');
  }
  await knex.schema.dropTableIfExists('event_search');
}
