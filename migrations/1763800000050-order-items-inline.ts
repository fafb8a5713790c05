import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An order's items move into the order row, as the JSON array the API shows. Items are only ever
 * read and replaced with their order; in their own table, every page of 20 orders cost 20 index
 * look-ups, and every new order one row, two index entries and a foreign-key check per item.
 * One CHECK guards what the order_items columns guarded, and the sum the subtotal must be, which
 * a constraint could not see across two tables.
 */
export class OrderItemsInline1763800000050 implements MigrationInterface {
  name = 'OrderItemsInline1763800000050';

  async up(db: QueryRunner): Promise<void> {
    // PL/pgSQL, not SQL: a SQL function in a CHECK is planned again for every statement, about
    // 0.34 ms per order written against 0.05. Never an error and never NULL (a CHECK passes on
    // NULL): each value is read only once its JSON type is known.
    await db.query(`
      CREATE FUNCTION order_items_valid(items json, subtotal bigint) RETURNS boolean
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        item jsonb;
        quantity numeric;
        unit_price numeric;
        line_total numeric;
        sum_of_lines numeric := 0;
      BEGIN
        IF json_typeof(items) IS DISTINCT FROM 'array'
          OR json_array_length(items) NOT BETWEEN 1 AND 100 THEN
          RETURN false;
        END IF;
        FOR item IN SELECT jsonb_array_elements(items::jsonb) LOOP
          IF jsonb_typeof(item) <> 'object'
            OR jsonb_typeof(item -> 'id') IS DISTINCT FROM 'string'
            OR jsonb_typeof(item -> 'sku') IS DISTINCT FROM 'string'
            OR jsonb_typeof(item -> 'name') IS DISTINCT FROM 'string'
            OR jsonb_typeof(item -> 'quantity') IS DISTINCT FROM 'number'
            OR jsonb_typeof(item -> 'unitPrice') IS DISTINCT FROM 'number'
            OR jsonb_typeof(item -> 'lineTotal') IS DISTINCT FROM 'number' THEN
            RETURN false;
          END IF;
          quantity := (item ->> 'quantity')::numeric;
          unit_price := (item ->> 'unitPrice')::numeric;
          line_total := (item ->> 'lineTotal')::numeric;
          IF (item ->> 'id') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            OR char_length(item ->> 'sku') NOT BETWEEN 1 AND 64
            OR char_length(item ->> 'name') NOT BETWEEN 1 AND 200
            OR quantity NOT BETWEEN 1 AND 10000 OR quantity <> trunc(quantity)
            OR unit_price NOT BETWEEN 0 AND 100000000 OR unit_price <> trunc(unit_price)
            OR line_total <> quantity * unit_price THEN
            RETURN false;
          END IF;
          sum_of_lines := sum_of_lines + line_total;
        END LOOP;
        RETURN sum_of_lines = subtotal;
      END
      $$`);
    await db.query(`ALTER TABLE orders ADD COLUMN items json`);
    await db.query(`
      UPDATE orders o SET items = (
        SELECT json_agg(json_build_object('id', i.id, 'sku', i.sku, 'name', i.name,
          'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total)
          ORDER BY i.position)
        FROM order_items i WHERE i.order_id = o.id)`);
    await db.query(`
      ALTER TABLE orders
        ALTER COLUMN items SET NOT NULL,
        ADD CONSTRAINT orders_items_valid CHECK (order_items_valid(items, subtotal))`);
    await db.query(`DROP TABLE order_items`);
  }

  async down(db: QueryRunner): Promise<void> {
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
    await db.query(`
      INSERT INTO order_items (id, order_id, position, sku, name, quantity, unit_price, line_total)
      SELECT (line ->> 'id')::uuid, o.id, line_number - 1, line ->> 'sku', line ->> 'name',
        (line ->> 'quantity')::integer, (line ->> 'unitPrice')::bigint,
        (line ->> 'lineTotal')::bigint
      FROM orders o, json_array_elements(o.items) WITH ORDINALITY AS lines(line, line_number)`);
    await db.query(`ALTER TABLE orders DROP CONSTRAINT orders_items_valid, DROP COLUMN items`);
    await db.query(`DROP FUNCTION order_items_valid(json, bigint)`);
  }
}
