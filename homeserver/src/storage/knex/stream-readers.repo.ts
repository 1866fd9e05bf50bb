/**
 * Positions of the durable stream readers, in `stream_readers` (migration 0015).
 */
import type { StreamReaderStore } from '../index.js';
import { insertIgnoringConflicts, toInteger, type SqlContext } from './dialect.js';

const TABLE = 'stream_readers';

export function createStreamReaderStore(ctx: SqlContext): StreamReaderStore {
  const { db, dialect } = ctx;
  return {
    async position(reader) {
      const row: { position: unknown } | undefined = await db(TABLE).select('position').where({ name: reader }).first();
      return row === undefined ? 0 : toInteger(row.position);
    },

    async claim(reader) {
      await insertIgnoringConflicts(db, TABLE, [{ name: reader, position: 0 }], ['name']);
      const query = db(TABLE).select('position').where({ name: reader });
      const row: { position: unknown } | undefined = await (dialect === 'postgres' ? query.forUpdate() : query).first();
      if (row === undefined) throw new Error(`stream reader "${reader}" has no row after insert`);
      return toInteger(row.position);
    },

    async advance(reader, position) {
      await db(TABLE).where({ name: reader }).update({ position });
    },
  };
}
