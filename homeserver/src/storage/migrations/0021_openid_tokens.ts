/**
 * 0021: OpenID tokens. `POST /user/{userId}/openid/request_token` issues one; another service hands it to
 * `GET /_matrix/federation/v1/openid/userinfo`, which answers with the user ID until the token expires.
 * Stored only as the SHA-256 of the token, like access tokens.
 * https://spec.matrix.org/v1.19/client-server-api/#openid
 */
import type { Knex } from 'knex';

export const name = '0021_openid_tokens';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('openid_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('user_id', 255).notNullable();
    t.bigInteger('created_ts').notNullable();
    t.bigInteger('expires_ts').notNullable();
    // Expired tokens are deleted by expiry when new ones are issued.
    t.index(['expires_ts'], 'openid_tokens_expires_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('openid_tokens');
}
