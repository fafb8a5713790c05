import { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1763800000020 implements MigrationInterface {
  name = 'Orders1763800000020';

  async up(db: QueryRunner): Promise<void> {
    // Human-readable order numbers; six digits from the start so they sort and read alike.
    await db.query(`CREATE SEQUENCE order_number_seq AS bigint START WITH 100001`);
    await db.query(`
      CREATE TABLE orders (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number          bigint      NOT NULL DEFAULT nextval('order_number_seq'),
        customer_id     uuid        NOT NULL REFERENCES users (id),
        status          varchar(24) NOT NULL DEFAULT 'pending',
        currency        char(3)     NOT NULL,
        subtotal        bigint      NOT NULL,
        total           bigint      NOT NULL,
        amount_paid     bigint      NOT NULL DEFAULT 0,
        amount_refunded bigint      NOT NULL DEFAULT 0,
        note            varchar(1000),
        version         integer     NOT NULL DEFAULT 1 CHECK (version > 0),
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orders_status CHECK (status IN
          ('pending', 'paid', 'fulfilled', 'cancelled', 'partially_refunded', 'refunded')),
        CONSTRAINT orders_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT orders_money_non_negative CHECK (
          subtotal >= 0 AND total >= 0 AND amount_paid >= 0 AND amount_refunded >= 0),
        -- JSON carries money as numbers: keep every amount a safe integer (< 2^53).
        CONSTRAINT orders_total_bounded CHECK (total <= 100000000000000),
        CONSTRAINT orders_paid_within_total CHECK (amount_paid <= total),
        CONSTRAINT orders_refunded_within_paid CHECK (amount_refunded <= amount_paid),
        CONSTRAINT orders_settled_when_past_pending CHECK (
          status IN ('pending', 'cancelled') OR amount_paid = total),
        CONSTRAINT orders_refund_matches_status CHECK (
          CASE status
            WHEN 'refunded' THEN amount_refunded = amount_paid
            WHEN 'partially_refunded' THEN amount_refunded > 0 AND amount_refunded < amount_paid
            ELSE amount_refunded = 0
          END)
      )`);
    await db.query(`ALTER SEQUENCE order_number_seq OWNED BY orders.number`);
    await db.query(`CREATE UNIQUE INDEX orders_number_key ON orders (number)`);
    await db.query(`CREATE INDEX orders_listing ON orders (created_at DESC, id DESC)`);
    await db.query(
      `CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC)`,
    );

    await db.query(`
      CREATE TABLE order_items (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id   uuid         NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        position   smallint     NOT NULL CHECK (position BETWEEN 0 AND 99),
        sku        varchar(64)  NOT NULL,
        name       varchar(200) NOT NULL,
        quantity   integer      NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
        unit_price bigint       NOT NULL CHECK (unit_price BETWEEN 0 AND 100000000),
        line_total bigint       NOT NULL,
        CONSTRAINT order_items_line_total CHECK (line_total = quantity * unit_price)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX order_items_position_key ON order_items (order_id, position)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE order_items`);
    await db.query(`DROP TABLE orders`);
  }
}
