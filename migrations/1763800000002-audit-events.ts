import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditEvents1763800000002 implements MigrationInterface {
  name = 'AuditEvents1763800000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_events (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq           bigint,
        occurred_at   timestamptz  NOT NULL DEFAULT clock_timestamp(),
        actor_type    varchar(16)  NOT NULL,
        actor_id      varchar(64),
        actor_display varchar(254),
        action        varchar(100) NOT NULL,
        resource_type varchar(50)  NOT NULL,
        resource_id   varchar(64),
        outcome       varchar(16)  NOT NULL,
        request_id    varchar(128),
        ip            varchar(64),
        user_agent    varchar(512),
        changes       jsonb,
        metadata      jsonb        NOT NULL DEFAULT '{}',
        hash          char(64),
        prev_hash     char(64),
        CONSTRAINT audit_events_actor_type CHECK (actor_type IN ('user', 'api_key', 'system', 'anonymous')),
        CONSTRAINT audit_events_outcome CHECK (outcome IN ('success', 'denied', 'failure')),
        CONSTRAINT audit_events_action_format CHECK (action ~ '^[a-z_]+\\.[a-z_]+$')
      )`);
    await db.query(`CREATE UNIQUE INDEX audit_events_seq_key ON audit_events (seq)`);
    await db.query(`CREATE INDEX audit_events_newest ON audit_events (occurred_at DESC, id DESC)`);
    await db.query(
      `CREATE INDEX audit_events_by_actor ON audit_events (actor_id, occurred_at DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_by_resource ON audit_events (resource_type, resource_id, occurred_at DESC)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE audit_events`);
  }
}
