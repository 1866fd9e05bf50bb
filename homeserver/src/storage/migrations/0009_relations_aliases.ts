/**
 * 0009: event relationships (edits, threads, annotations, references) for /relations, /threads and bundled
 * aggregations. One knex schema definition for SQLite and PostgreSQL.
 * https://spec.matrix.org/v1.19/client-server-api/#forming-relationships-between-events
 *
 * One row per accepted event whose content carries `m.relates_to` with a `rel_type` and an `event_id`, written in
 * the event's own write transaction and deleted when the child is redacted (a redacted child breaks the
 * relationship). Aliases keep living in `room_aliases` (0003); upgrades move them there.
 */
import type { Knex } from 'knex';

const ID_LENGTH = 255;

export const name = '0009_relations_aliases';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('event_relations', (t) => {
    t.string('event_id', ID_LENGTH).primary();
    t.string('room_id', ID_LENGTH).notNullable();
    // The parent (`m.relates_to.event_id`); may be an event we do not hold.
    t.string('relates_to', ID_LENGTH).notNullable();
    t.string('rel_type', ID_LENGTH).notNullable();
    // The child's event type and sender: the relations API filters by type, aggregations skip ignored senders.
    t.string('type', ID_LENGTH).notNullable();
    t.string('sender', ID_LENGTH).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.bigInteger('origin_server_ts').notNullable();
    // `m.relates_to.key` of annotations: duplicate reactions are refused.
    t.text('aggregation_key').nullable();
    // Children of a parent by position: /relations pages and the aggregations of a page of parents.
    t.index(['relates_to', 'rel_type', 'stream_ordering'], 'event_relations_parent_idx');
    // Threads of a room by their latest reply: /threads.
    t.index(['room_id', 'rel_type', 'stream_ordering'], 'event_relations_room_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('event_relations');
}
