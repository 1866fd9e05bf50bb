/**
 * 0022: account moderation. `users.suspended_ts` and `users.locked_ts` are set (to when it happened) while an
 * account is suspended or locked by a server admin, null otherwise. Admins are `users.is_admin` (since 0002).
 * https://spec.matrix.org/v1.19/client-server-api/#account-moderation
 */
import type { Knex } from 'knex';

export const name = '0022_account_moderation';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.bigInteger('suspended_ts').nullable();
    t.bigInteger('locked_ts').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('locked_ts');
    t.dropColumn('suspended_ts');
  });
}
