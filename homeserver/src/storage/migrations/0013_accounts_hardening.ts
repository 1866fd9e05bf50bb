/**
 * 0013: Accounts hardening. Refresh tokens remember being revoked (so a replayed one can be recognised and its
 * device logged out), and registration tokens are stored as their SHA-256 like access tokens: existing rows, and
 * the token names recorded in open UIA sessions, are hashed here.
 * https://spec.matrix.org/v1.19/client-server-api/#refreshing-access-tokens
 * https://spec.matrix.org/v1.19/client-server-api/#token-authenticated-registration
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export const name = '0013_accounts_hardening';

/** The session data key naming the registration token a UIA session used (services/accounts/stages.ts). */
const TOKEN_DATA_KEY = 'registration_token';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('refresh_tokens', (t) => {
    // Set when the token may never be used again (its successor was used, or a retry replaced it). Using a revoked
    // token is a replay: it logs the device out.
    t.bigInteger('revoked_ts').nullable();
  });

  const tokens = (await knex('registration_tokens').select('token')) as { token: string }[];
  for (const { token } of tokens) await knex('registration_tokens').where({ token }).update({ token: sha256(token) });
  await knex.schema.alterTable('registration_tokens', (t) => {
    t.renameColumn('token', 'token_hash');
  });

  const sessions = (await knex('uia_sessions').where('data_json', 'like', `%${TOKEN_DATA_KEY}%`).select('session_id', 'data_json')) as {
    session_id: string;
    data_json: string;
  }[];
  for (const session of sessions) {
    const data = JSON.parse(session.data_json) as Record<string, string>;
    const token = data[TOKEN_DATA_KEY];
    if (token === undefined) continue;
    data[TOKEN_DATA_KEY] = sha256(token);
    await knex('uia_sessions').where({ session_id: session.session_id }).update({ data_json: JSON.stringify(data) });
  }
}

/** Stored hashes cannot be turned back into tokens: after a rollback the old registration tokens no longer match. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('registration_tokens', (t) => {
    t.renameColumn('token_hash', 'token');
  });
  await knex.schema.alterTable('refresh_tokens', (t) => {
    t.dropColumn('revoked_ts');
  });
}
