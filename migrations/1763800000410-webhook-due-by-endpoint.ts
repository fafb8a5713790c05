import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Due deliveries per endpoint. Workers claim for each endpoint that has room, so an endpoint that
 * is down, with a backlog of due deliveries and its attempts in flight, costs a claim nothing,
 * where one index over all endpoints made every claim step over that backlog.
 */
export class WebhookDueByEndpoint1763800000410 implements MigrationInterface {
  name = 'WebhookDueByEndpoint1763800000410';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX webhook_deliveries_due`);
    await db.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
        WHERE status = 'pending'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX webhook_deliveries_due`);
    await db.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE status = 'pending'`,
    );
  }
}
