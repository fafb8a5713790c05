import { MigrationInterface, QueryRunner } from 'typeorm';

export class Payments1763800000030 implements MigrationInterface {
  name = 'Payments1763800000030';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE payments (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id     uuid         NOT NULL REFERENCES orders (id),
        status       varchar(24)  NOT NULL,
        amount       bigint       NOT NULL CHECK (amount > 0 AND amount <= 100000000000000),
        currency     char(3)      NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        provider     varchar(32)  NOT NULL,
        provider_ref varchar(255),
        failure_code varchar(64),
        created_at   timestamptz  NOT NULL DEFAULT now(),
        updated_at   timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT payments_status CHECK (status IN ('pending', 'requires_action', 'succeeded', 'failed')),
        CONSTRAINT payments_failure_code CHECK ((status = 'failed') = (failure_code IS NOT NULL)),
        CONSTRAINT payments_provider_ref CHECK (
          status NOT IN ('requires_action', 'succeeded') OR provider_ref IS NOT NULL)
      )`);
    await db.query(`CREATE INDEX payments_by_order ON payments (order_id, created_at, id)`);
    await db.query(
      `CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref)
        WHERE provider_ref IS NOT NULL`,
    );
    await db.query(
      `CREATE INDEX payments_unsettled ON payments (created_at) WHERE status = 'pending'`,
    );

    await db.query(`
      CREATE TABLE refunds (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        payment_id   uuid         NOT NULL REFERENCES payments (id),
        amount       bigint       NOT NULL CHECK (amount > 0),
        reason       varchar(500),
        status       varchar(16)  NOT NULL,
        provider_ref varchar(255),
        failure_code varchar(64),
        created_at   timestamptz  NOT NULL DEFAULT now(),
        updated_at   timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT refunds_status CHECK (status IN ('pending', 'succeeded', 'failed')),
        CONSTRAINT refunds_failure_code CHECK ((status = 'failed') = (failure_code IS NOT NULL))
      )`);
    await db.query(`CREATE INDEX refunds_by_payment ON refunds (payment_id, created_at, id)`);
    await db.query(
      `CREATE INDEX refunds_unsettled ON refunds (created_at) WHERE status = 'pending'`,
    );

    await db.query(`
      CREATE TABLE idempotency_keys (
        actor_type          varchar(16)  NOT NULL,
        actor_id            varchar(64)  NOT NULL,
        key                 varchar(255) NOT NULL,
        request_fingerprint char(64)     NOT NULL,
        state               varchar(16)  NOT NULL,
        response_status     smallint,
        response_body       jsonb,
        created_at          timestamptz  NOT NULL DEFAULT now(),
        expires_at          timestamptz  NOT NULL,
        PRIMARY KEY (actor_type, actor_id, key),
        CONSTRAINT idempotency_keys_state CHECK (state IN ('in_progress', 'completed')),
        CONSTRAINT idempotency_keys_response CHECK ((state = 'completed') = (response_status IS NOT NULL))
      )`);
    await db.query(`CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`);

    // The inbox: one row per provider event ever applied (or deliberately ignored).
    await db.query(`
      CREATE TABLE webhook_events (
        provider    varchar(32)  NOT NULL,
        event_id    varchar(255) NOT NULL,
        type        varchar(64)  NOT NULL,
        outcome     varchar(16)  NOT NULL,
        received_at timestamptz  NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, event_id),
        CONSTRAINT webhook_events_outcome CHECK (outcome IN ('applied', 'ignored'))
      )`);

    // The sandbox provider's own ledger, standing in for the state a real provider keeps on its
    // side: what it did for each idempotency key, so a crashed attempt can be settled later.
    await db.query(`
      CREATE TABLE sandbox_operations (
        key          uuid PRIMARY KEY,
        kind         varchar(8)  NOT NULL CHECK (kind IN ('charge', 'refund')),
        provider_ref varchar(64) NOT NULL UNIQUE,
        status       varchar(24) NOT NULL,
        failure_code varchar(64),
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE sandbox_operations`);
    await db.query(`DROP TABLE webhook_events`);
    await db.query(`DROP TABLE idempotency_keys`);
    await db.query(`DROP TABLE refunds`);
    await db.query(`DROP TABLE payments`);
  }
}
