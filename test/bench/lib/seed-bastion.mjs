// Bulk data for Bastion, in plain SQL on its migrated schema (the server applied the migrations).
import argon2 from 'argon2';
import { withClient } from './databases.mjs';

export const CUSTOMER_PASSWORD = 'bench-customer-password';
export const customerEmail = (n) => `customer-${n}@bench.local`;

/**
 * `customers` customers (one real argon2id hash, shared: every one of them could log in) and
 * `orders` orders × `itemsPerOrder` items spread over them, newest first by number, a third each
 * pending, paid and fulfilled.
 */
export async function seedBastion(databaseUrl, { customers, orders, itemsPerOrder }) {
  const started = Date.now();
  // The server's own parameters (OWASP's argon2id baseline), so a login costs what it costs.
  const hash = await argon2.hash(CUSTOMER_PASSWORD, {
    type: argon2.argon2id,
    memoryCost: 19456,
    timeCost: 2,
    parallelism: 1,
  });
  await withClient(databaseUrl, async (db) => {
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO users (email, name, password_hash, status, mfa_enabled)
       SELECT 'customer-' || n || '@bench.local', 'Customer ' || n, $2, 'active', false
       FROM generate_series(1, $1::int) n`,
      [customers, hash],
    );
    await db.query(
      `INSERT INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM users u, roles r
       WHERE u.email LIKE 'customer-%@bench.local' AND r.name = 'customer'`,
    );
    await db.query(
      `CREATE TEMP TABLE bench_customers ON COMMIT DROP AS
       SELECT id, row_number() OVER (ORDER BY email) - 1 AS k FROM users
       WHERE email LIKE 'customer-%@bench.local'`,
    );
    await db.query(
      `INSERT INTO orders (customer_id, status, currency, subtotal, total, created_at, updated_at)
       SELECT c.id, 'pending', 'EUR', 0, 0, now() - make_interval(mins => g), now() - make_interval(mins => g)
       FROM generate_series(1, $1::int) g JOIN bench_customers c ON c.k = g % $2`,
      [orders, customers],
    );
    // Order by order, as the API writes them (and as the baseline seeds): an order's items share a page.
    await db.query(
      `INSERT INTO order_items (order_id, position, sku, name, quantity, unit_price, line_total)
       SELECT o.id, p, 'SKU-' || ((o.number * 7 + p) % 500), 'Item ' || ((o.number * 7 + p) % 500),
              1 + (o.number + p) % 3, 100 + (o.number + p) % 900,
              (1 + (o.number + p) % 3) * (100 + (o.number + p) % 900)
       FROM orders o, generate_series(0, $1::int - 1) p
       ORDER BY o.number, p`,
      [itemsPerOrder],
    );
    // Totals from the items, and a third each pending, paid and fulfilled (paid in full).
    await db.query(
      `UPDATE orders o SET subtotal = s.t, total = s.t,
         status = (ARRAY['pending', 'paid', 'fulfilled'])[1 + o.number % 3],
         amount_paid = CASE WHEN o.number % 3 = 0 THEN 0 ELSE s.t END
       FROM (SELECT order_id, sum(line_total) t FROM order_items GROUP BY order_id) s
       WHERE s.order_id = o.id`,
    );
    await db.query('COMMIT');
    for (const table of ['users', 'user_roles', 'orders', 'order_items']) {
      await db.query(`VACUUM ANALYZE ${table}`);
    }
  });
  return { ms: Date.now() - started };
}

/** The customer's id and own order ids, newest first. */
export async function customerOrders(databaseUrl, n) {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query(
      `SELECT u.id AS customer_id, o.id FROM users u JOIN orders o ON o.customer_id = u.id
       WHERE u.email = $1 ORDER BY o.created_at DESC`,
      [customerEmail(n)],
    );
    return { customerId: rows[0].customer_id, orderIds: rows.map((row) => row.id) };
  });
}

/** `count` pending orders with one item each for customer `n`, to be paid one per request. */
export async function seedPendingOrders(databaseUrl, n, count) {
  return withClient(databaseUrl, async (db) => {
    await db.query('BEGIN');
    const { rows } = await db.query(
      `INSERT INTO orders (customer_id, status, currency, subtotal, total)
       SELECT u.id, 'pending', 'EUR', 2500, 2500 FROM users u, generate_series(1, $2::int)
       WHERE u.email = $1
       RETURNING id`,
      [customerEmail(n), count],
    );
    // Order by order, as the API writes them (and as the baseline seeds): an order's items share a page.
    await db.query(
      `INSERT INTO order_items (order_id, position, sku, name, quantity, unit_price, line_total)
       SELECT id, 0, 'SKU-PAY', 'Pay me', 1, 2500, 2500 FROM unnest($1::uuid[]) id`,
      [rows.map((row) => row.id)],
    );
    await db.query('COMMIT');
    await db.query('ANALYZE orders');
    return rows.map((row) => row.id);
  });
}

/** Audit events not yet sealed into the hash chain (the sealer works behind the requests). */
export async function unsealedAuditEvents(databaseUrl) {
  return withClient(databaseUrl, async (db) => {
    const { rows } = await db.query(
      'SELECT count(*)::int AS n FROM audit_events WHERE seq IS NULL',
    );
    return rows[0].n;
  });
}
