import { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1763800000000 implements MigrationInterface {
  name = 'Identity1763800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE roles (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        varchar(64)  NOT NULL,
        description varchar(500) NOT NULL DEFAULT '',
        permissions text[]       NOT NULL DEFAULT '{}',
        built_in    boolean      NOT NULL DEFAULT false,
        version     integer      NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at  timestamptz  NOT NULL DEFAULT now(),
        updated_at  timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT roles_name_format CHECK (name ~ '^[a-z][a-z0-9_-]{1,63}$')
      )`);
    await db.query(`CREATE UNIQUE INDEX roles_name_key ON roles (name)`);

    await db.query(`
      CREATE TABLE users (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email              varchar(254),
        name               varchar(200),
        password_hash      text,
        status             varchar(16) NOT NULL DEFAULT 'active',
        mfa_enabled        boolean     NOT NULL DEFAULT false,
        mfa_secret         text,
        mfa_pending_secret text,
        version            integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        deleted_at         timestamptz,
        CONSTRAINT users_status CHECK (status IN ('active', 'disabled', 'deleted')),
        CONSTRAINT users_pii_erased_when_deleted CHECK (
          (status = 'deleted') = (email IS NULL) AND (status <> 'deleted' OR
            (name IS NULL AND password_hash IS NULL AND mfa_secret IS NULL AND deleted_at IS NOT NULL))
        ),
        CONSTRAINT users_mfa_secret_when_enabled CHECK (NOT mfa_enabled OR mfa_secret IS NOT NULL)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL`,
    );
    await db.query(`CREATE INDEX users_listing ON users (created_at DESC, id DESC)`);

    await db.query(`
      CREATE TABLE user_roles (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role_id uuid NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
        PRIMARY KEY (user_id, role_id)
      )`);
    await db.query(`CREATE INDEX user_roles_role_id ON user_roles (role_id)`);

    await db.query(`
      CREATE TABLE auth_sessions (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at     timestamptz NOT NULL DEFAULT now(),
        expires_at     timestamptz NOT NULL,
        revoked_at     timestamptz,
        revoked_reason varchar(32),
        ip             varchar(64),
        user_agent     varchar(512),
        CONSTRAINT auth_sessions_revocation CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
      )`);
    await db.query(
      `CREATE INDEX auth_sessions_active_by_user ON auth_sessions (user_id) WHERE revoked_at IS NULL`,
    );

    await db.query(`
      CREATE TABLE refresh_tokens (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid        NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
        token_hash char(64)    NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at    timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash)`);
    await db.query(`CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)`);

    await db.query(`
      CREATE TABLE api_keys (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name         varchar(100) NOT NULL,
        prefix       varchar(16)  NOT NULL,
        secret_hash  char(64)     NOT NULL,
        permissions  text[]       NOT NULL,
        created_by   uuid         NOT NULL REFERENCES users (id),
        created_at   timestamptz  NOT NULL DEFAULT now(),
        expires_at   timestamptz,
        revoked_at   timestamptz,
        last_used_at timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix)`);
    await db.query(`CREATE INDEX api_keys_listing ON api_keys (created_at DESC, id DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE api_keys`);
    await db.query(`DROP TABLE refresh_tokens`);
    await db.query(`DROP TABLE auth_sessions`);
    await db.query(`DROP TABLE user_roles`);
    await db.query(`DROP TABLE users`);
    await db.query(`DROP TABLE roles`);
  }
}
