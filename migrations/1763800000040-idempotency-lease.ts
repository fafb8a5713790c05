import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Turns an `in_progress` idempotency key into a lease. A request holds its key until
 * `locked_until`; a retry after that takes it over under a new `lease_token`, which fences off
 * any later write of the earlier holder. `attempt_id` is the payment or refund the holder
 * recorded, set in the transaction that recorded it, so the retry settles that attempt instead
 * of charging again.
 */
export class IdempotencyLease1763800000040 implements MigrationInterface {
  name = 'IdempotencyLease1763800000040';

  async up(db: QueryRunner): Promise<void> {
    // The default covers rows written before this migration and by instances still running the
    // previous version during a rollout: they get a lease as long as the longest request.
    await db.query(`
      ALTER TABLE idempotency_keys
        ADD COLUMN lease_token  uuid,
        ADD COLUMN locked_until timestamptz NOT NULL DEFAULT now() + interval '1 minute',
        ADD COLUMN attempt_id   uuid`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE idempotency_keys
        DROP COLUMN attempt_id,
        DROP COLUMN locked_until,
        DROP COLUMN lease_token`);
  }
}
