/**
 * The knex implementation of {@link JobLeaseStore}, one for SQLite and PostgreSQL: an upsert whose update only
 * applies when the row is ours or expired (`ON CONFLICT … DO UPDATE … WHERE`, which both dialects evaluate
 * atomically on the row, PostgreSQL re-checking it after waiting for a concurrent writer's row lock).
 */
import type { JobLease, JobLeaseStore } from '../leases.js';
import { toInteger, type SqlContext } from './dialect.js';

const TABLE = 'job_leases';

export function createJobLeaseStore(ctx: SqlContext): JobLeaseStore {
  const { db } = ctx;
  return {
    async acquire(name, holder, { now, expiresTs }) {
      await db.raw(
        `INSERT INTO ${TABLE} (name, holder, expires_ts) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ts = excluded.expires_ts
         WHERE ${TABLE}.holder = excluded.holder OR ${TABLE}.expires_ts <= ?`,
        [name, holder, expiresTs, now],
      );
      const row = (await db(TABLE).where({ name }).first('holder', 'expires_ts')) as { holder: string; expires_ts: unknown } | undefined;
      return row !== undefined && row.holder === holder && toInteger(row.expires_ts) === expiresTs;
    },
    async release(name, holder) {
      await db(TABLE).where({ name, holder }).delete();
    },
    async get(name): Promise<JobLease | null> {
      const row = (await db(TABLE).where({ name }).first('name', 'holder', 'expires_ts')) as { name: string; holder: string; expires_ts: unknown } | undefined;
      return row ? { name: row.name, holder: row.holder, expiresTs: toInteger(row.expires_ts) } : null;
    },
  };
}
