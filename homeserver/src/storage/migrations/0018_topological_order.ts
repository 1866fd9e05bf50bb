/**
 * 0018: Order and state in a forked DAG.
 * - `events.historical`: the event arrived with a depth below the room's newest (backfill, a late branch); sync
 *   timelines leave it out, /messages shows it at its topological place.
 * - `events.state_resolved`: persisting it changed the room's current state by state resolution (a fork), so
 *   the current state after it is not simply the state after it; sync sends such changes in the state section.
 * - `events_room_topo_idx`: /messages and /context walk a room by (depth, stream_ordering).
 * - `event_state.current_group`: the room's current state right after the event was persisted (null: the same
 *   as `after_group`), so "the state at a stream position" is right in a forked room.
 * - `rooms.partial_state`: the room's state is known only partially (a fast federated join in progress).
 */
import type { Knex } from 'knex';

export const name = '0018_topological_order';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('events', (t) => {
    t.boolean('historical').notNullable().defaultTo(false);
    t.boolean('state_resolved').notNullable().defaultTo(false);
    t.index(['room_id', 'depth', 'stream_ordering'], 'events_room_topo_idx');
  });
  await knex.schema.alterTable('event_state', (t) => {
    t.bigInteger('current_group').nullable();
  });
  await knex.schema.alterTable('rooms', (t) => {
    t.boolean('partial_state').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rooms', (t) => t.dropColumn('partial_state'));
  await knex.schema.alterTable('event_state', (t) => t.dropColumn('current_group'));
  await knex.schema.alterTable('events', (t) => {
    t.dropIndex(['room_id', 'depth', 'stream_ordering'], 'events_room_topo_idx');
    t.dropColumn('state_resolved');
    t.dropColumn('historical');
  });
}
