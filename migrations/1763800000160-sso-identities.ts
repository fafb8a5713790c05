import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who a user is at an OpenID Connect provider: the provider's `sub` is stable and never reused,
 * unlike an email, so it is what a returning SSO user is found by. One identity per user and
 * provider; a deleted user's identities go with the row only if the row goes (it is soft-deleted,
 * so they stay and that identity keeps mapping to the erased user, who cannot sign in).
 */
export class SsoIdentities1763800000160 implements MigrationInterface {
  name = 'SsoIdentities1763800000160';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE user_identities (
        provider      varchar(32)  NOT NULL,
        subject       varchar(255) NOT NULL,
        user_id       uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at    timestamptz  NOT NULL DEFAULT now(),
        last_login_at timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, subject),
        CONSTRAINT user_identities_subject_not_empty CHECK (subject <> '')
      )`);
    await db.query(
      `CREATE UNIQUE INDEX user_identities_user_provider_key ON user_identities (user_id, provider)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE user_identities`);
  }
}
