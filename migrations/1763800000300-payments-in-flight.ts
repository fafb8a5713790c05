import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The money being captured for an order, read with a snapshot of its own. A payment locks its
 * order and reads this in one statement: PostgreSQL takes a statement's snapshot before the lock
 * is granted, so a plain subquery would miss a payment recorded by the transaction the lock waited
 * for, while a VOLATILE function takes a new snapshot each time it runs, after the lock.
 * PL/pgSQL keeps its plan for the session; an SQL function would be planned on every call.
 */
export class PaymentsInFlight1763800000300 implements MigrationInterface {
  name = 'PaymentsInFlight1763800000300';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION payments_in_flight(order_id uuid, statuses text[]) RETURNS bigint
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RETURN (SELECT COALESCE(sum(p.amount), 0) FROM payments p
                 WHERE p.order_id = payments_in_flight.order_id AND p.status = ANY(statuses));
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION payments_in_flight(uuid, text[])`);
  }
}
