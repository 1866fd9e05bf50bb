/**
 * Positions of the durable stream readers, in `stream_readers` (migration 0015).
 */
import type { StreamReaderStore } from '../index.js';
import { toInteger, type SqlContext } from './dialect.js';

const TABLE = 'stream_readers';

export function createStreamReaderStore(ctx: SqlContext): StreamReaderStore {
  const { db } = ctx;
  return {
    async position(reader) {
      const row: { position: unknown } | undefined = await db(TABLE).select('position').where({ name: reader }).first();
      return row === undefined ? 0 : toInteger(row.position);
    },

    async claim(reader) {
      // One statement: creates the row if missing and returns its position; the no-op update takes the row lock on
      // PostgreSQL (held until the transaction ends), as `SELECT … FOR UPDATE` would.
      const rows: { position: unknown }[] = await db(TABLE)
        .insert({ name: reader, position: 0 })
        .onConflict('name')
        .merge({ position: db.raw('??', [`${TABLE}.position`]) })
        .returning('position');
      const row = rows[0];
      if (row === undefined) throw new Error(`stream reader "${reader}" has no row after its upsert`);
      return toInteger(row.position);
    },

    async advance(reader, position) {
      await db(TABLE).where({ name: reader }).update({ position });
    },

    async markProcessed(readers, position) {
      if (readers.length === 0) return;
      await db(TABLE)
        .insert(readers.map((name) => ({ name, position })))
        .onConflict('name')
        .merge(['position']);
    },
  };
}
