import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Makes the audit log append-only in the database, adds the hash chain's sealing rules and the
 * signed checkpoints, and indexes every filter of `GET /v1/audit-events`.
 */
export class AuditChain1763800000010 implements MigrationInterface {
  name = 'AuditChain1763800000010';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE audit_events
        ADD CONSTRAINT audit_events_sealed_together
          CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)),
        ADD CONSTRAINT audit_events_seq_positive CHECK (seq > 0)`);
    // The one UPDATE allowed is the sealer's: an unsealed row gets seq, hash and prev_hash once,
    // and nothing else of it changes. Comparing whole rows as jsonb covers columns added later.
    await db.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE'
           AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND to_jsonb(NEW) - ARRAY['seq', 'hash', 'prev_hash']
             = to_jsonb(OLD) - ARRAY['seq', 'hash', 'prev_hash'] THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await db.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);

    await db.query(`
      CREATE TABLE audit_checkpoints (
        seq        bigint      PRIMARY KEY,
        hash       char(64)    NOT NULL,
        signed_at  timestamptz NOT NULL,
        key_id     char(64)    NOT NULL,
        signature  text        NOT NULL
      )`);
    await db.query(`
      CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await db.query(`
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()`);
    await db.query(`
      CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only()`);

    // Every filter ends in the list's order (occurred_at DESC, id DESC), so a page is an index
    // range read in order, however many rows the table holds.
    await db.query(`DROP INDEX audit_events_by_actor`);
    await db.query(`DROP INDEX audit_events_by_resource`);
    await db.query(
      `CREATE INDEX audit_events_by_actor ON audit_events (actor_id, occurred_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_by_resource ON audit_events (resource_type, resource_id, occurred_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_by_action ON audit_events (action text_pattern_ops, occurred_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_by_outcome ON audit_events (outcome, occurred_at DESC, id DESC)`,
    );
    // The sealer's work queue: small, because rows leave it moments after they commit.
    await db.query(
      `CREATE INDEX audit_events_unsealed ON audit_events (occurred_at, id) WHERE seq IS NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX audit_events_unsealed`);
    await db.query(`DROP INDEX audit_events_by_outcome`);
    await db.query(`DROP INDEX audit_events_by_action`);
    await db.query(`DROP INDEX audit_events_by_resource`);
    await db.query(`DROP INDEX audit_events_by_actor`);
    await db.query(
      `CREATE INDEX audit_events_by_actor ON audit_events (actor_id, occurred_at DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_by_resource ON audit_events (resource_type, resource_id, occurred_at DESC)`,
    );
    await db.query(`DROP TABLE audit_checkpoints`);
    await db.query(`DROP FUNCTION audit_checkpoints_append_only()`);
    await db.query(`DROP TRIGGER audit_events_no_truncate ON audit_events`);
    await db.query(`DROP TRIGGER audit_events_append_only ON audit_events`);
    await db.query(`DROP FUNCTION audit_events_append_only()`);
    await db.query(`
      ALTER TABLE audit_events
        DROP CONSTRAINT audit_events_seq_positive,
        DROP CONSTRAINT audit_events_sealed_together`);
  }
}
