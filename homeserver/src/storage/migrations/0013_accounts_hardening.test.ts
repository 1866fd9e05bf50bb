import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase } from '../testing/for-each-database.js';
import { migrationSource } from './index.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

forEachDatabase('migration 0013_accounts_hardening', (getStorage, under) => {
  it('hashes existing registration tokens and the tokens named by open UIA sessions', async () => {
    const { knex } = under.database();
    await knex.migrate.down({ migrationSource, name: '0013_accounts_hardening' });
    expect(await knex.schema.hasColumn('registration_tokens', 'token')).toBe(true);
    await knex('registration_tokens').insert({ token: 'plain-Token_1', uses_allowed: 3, pending: 1, completed: 1, expiry_ts: null, created_ts: 5 });
    await knex('uia_sessions').insert({
      session_id: 'mig-session',
      operation: 'POST /register',
      user_id: null,
      completed_json: '["m.login.registration_token"]',
      data_json: JSON.stringify({ registration_token: 'plain-Token_1' }),
      created_ts: 5,
    });
    await knex.migrate.latest({ migrationSource });

    expect(await knex.schema.hasColumn('refresh_tokens', 'revoked_ts')).toBe(true);
    const rows = (await knex('registration_tokens').select('*')) as Record<string, unknown>[];
    expect(rows.map((row) => row.token_hash)).toContain(sha256('plain-Token_1'));
    expect(JSON.stringify(rows)).not.toContain('plain-Token_1');
    const record = await getStorage().accounts.getRegistrationToken(sha256('plain-Token_1'));
    expect(record).toMatchObject({ usesAllowed: 3, pending: 1, completed: 1 });
    expect((await getStorage().accounts.getUiaSession('mig-session'))?.data).toEqual({ registration_token: sha256('plain-Token_1') });
  });
});
