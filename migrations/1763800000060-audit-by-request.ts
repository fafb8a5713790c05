import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The list filters by request id (the console's "everything this request did"). A request writes
 * one to a few events, so without an index that filter would read the whole log to find them.
 */
export class AuditByRequest1763800000060 implements MigrationInterface {
  name = 'AuditByRequest1763800000060';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX audit_events_by_request ON audit_events (request_id, occurred_at DESC, id DESC)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX audit_events_by_request`);
  }
}
