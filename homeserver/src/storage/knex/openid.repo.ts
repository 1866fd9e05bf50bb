/**
 * The knex implementation of {@link OpenIdTokenStore}, one for SQLite and PostgreSQL.
 */
import type { OpenIdTokenRecord, OpenIdTokenStore } from '../openid.js';
import { toInteger, type SqlContext } from './dialect.js';

type Row = Record<string, unknown>;

export function createOpenIdTokenStore(ctx: SqlContext): OpenIdTokenStore {
  const { db } = ctx;
  return {
    async addOpenIdToken(token) {
      await db('openid_tokens').insert({
        token_hash: token.tokenHash,
        user_id: token.userId,
        created_ts: token.createdTs,
        expires_ts: token.expiresTs,
      });
    },

    async findOpenIdToken(tokenHash, now) {
      const row: Row | undefined = await db('openid_tokens').where({ token_hash: tokenHash }).where('expires_ts', '>', now).first();
      return row === undefined ? null : openIdTokenFromRow(row);
    },

    async deleteExpiredOpenIdTokens(now) {
      await db('openid_tokens').where('expires_ts', '<=', now).delete();
    },
  };
}

function openIdTokenFromRow(row: Row): OpenIdTokenRecord {
  return {
    tokenHash: row.token_hash as string,
    userId: row.user_id as string,
    createdTs: toInteger(row.created_ts),
    expiresTs: toInteger(row.expires_ts),
  };
}
