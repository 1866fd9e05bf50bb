/**
 * Stream positions from the `stream_positions` table.
 *
 * `next()` is one `INSERT … ON CONFLICT DO UPDATE SET position = position + 1 RETURNING position`.
 * On PostgreSQL the statement takes the stream's row lock and holds it until the surrounding
 * transaction ends, so concurrent writers, in any number of processes, get distinct increasing
 * positions and commit them in that order; readers never see N+1 before N. (A sequence would not
 * give that order and would leave gaps on rollback.) The cost: writers of one stream serialise for
 * the length of their transaction. On SQLite the single connection serialises everything anyway.
 */
import type { StreamName, StreamPositions } from '../index.js';
import { toInteger, type Queryable, type SqlContext } from './dialect.js';

const TABLE = 'stream_positions';

/** Allocates the next position of `stream` on `db` (a transaction or the pool). */
export async function nextStreamPosition(db: Queryable, stream: StreamName): Promise<number> {
  const rows: { position: unknown }[] = await db(TABLE)
    .insert({ stream, position: 1 })
    .onConflict('stream')
    .merge({ position: db.raw('?? + 1', [`${TABLE}.position`]) })
    .returning('position');
  const row = rows[0];
  if (row === undefined) throw new Error(`stream position upsert for "${stream}" returned no row`);
  return toInteger(row.position);
}

export function createStreamPositions(ctx: SqlContext): StreamPositions {
  const { db } = ctx;
  return {
    next: (stream) => nextStreamPosition(db, stream),

    async current(stream) {
      const row: { position: unknown } | undefined = await db(TABLE).select('position').where({ stream }).first();
      return row === undefined ? 0 : toInteger(row.position);
    },
  };
}
