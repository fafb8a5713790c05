import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event subscriptions: endpoints, their deliveries, and the dispatcher's place in the audit chain.
 * A delivery holds the exact body it sends, so every retry signs and sends the same bytes.
 */
export class Webhooks1763800000170 implements MigrationInterface {
  name = 'Webhooks1763800000170';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_endpoints (
        id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url                    varchar(2048) NOT NULL,
        events                 text[]        NOT NULL,
        description            varchar(500),
        status                 varchar(16)   NOT NULL DEFAULT 'enabled',
        secret                 text          NOT NULL,
        previous_secret        text,
        previous_secret_until  timestamptz,
        failing_since          timestamptz,
        created_by             varchar(64),
        version                integer       NOT NULL DEFAULT 1,
        created_at             timestamptz   NOT NULL DEFAULT now(),
        updated_at             timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT webhook_endpoints_status CHECK (status IN ('enabled', 'disabled')),
        CONSTRAINT webhook_endpoints_events CHECK (cardinality(events) > 0),
        CONSTRAINT webhook_endpoints_previous_secret CHECK (
          (previous_secret IS NULL) = (previous_secret_until IS NULL))
      )`);
    await db.query(
      `CREATE INDEX webhook_endpoints_by_created ON webhook_endpoints (created_at, id)`,
    );

    await db.query(`
      CREATE TABLE webhook_deliveries (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        endpoint_id      uuid         NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event_id         uuid         NOT NULL,
        type             varchar(64)  NOT NULL,
        body             text         NOT NULL,
        status           varchar(16)  NOT NULL DEFAULT 'pending',
        attempts         integer      NOT NULL DEFAULT 0,
        last_status_code smallint,
        last_error       varchar(500),
        next_attempt_at  timestamptz  NOT NULL,
        locked_until     timestamptz,
        delivered_at     timestamptz,
        occurred_at      timestamptz  NOT NULL,
        created_at       timestamptz  NOT NULL,
        CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed')),
        CONSTRAINT webhook_deliveries_attempts CHECK (attempts >= 0)
      )`);
    // Dispatching an event twice (a retried pass) must not deliver it twice.
    await db.query(
      `CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries (endpoint_id, event_id)`,
    );
    await db.query(
      `CREATE INDEX webhook_deliveries_by_endpoint
         ON webhook_deliveries (endpoint_id, created_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE status = 'pending'`,
    );

    // Starts at the chain head: history from before subscriptions existed is nobody's to receive.
    await db.query(`
      CREATE TABLE webhook_dispatch_cursor (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        seq       bigint  NOT NULL
      )`);
    await db.query(
      `INSERT INTO webhook_dispatch_cursor (seq) SELECT coalesce(max(seq), 0) FROM audit_events`,
    );

    // The admin role holds every permission; built-in roles are otherwise frozen by a trigger.
    await db.query(`ALTER TABLE roles DISABLE TRIGGER roles_protect_built_in`);
    await db.query(
      `UPDATE roles SET permissions = array_append(permissions, 'webhooks:manage')
        WHERE name = 'admin' AND built_in AND NOT ('webhooks:manage' = ANY (permissions))`,
    );
    await db.query(`ALTER TABLE roles ENABLE TRIGGER roles_protect_built_in`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE roles DISABLE TRIGGER roles_protect_built_in`);
    await db.query(
      `UPDATE roles SET permissions = array_remove(permissions, 'webhooks:manage') WHERE built_in`,
    );
    await db.query(`ALTER TABLE roles ENABLE TRIGGER roles_protect_built_in`);
    await db.query(`DROP TABLE webhook_dispatch_cursor`);
    await db.query(`DROP TABLE webhook_deliveries`);
    await db.query(`DROP TABLE webhook_endpoints`);
  }
}
