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
    // Items as compact JSON, as the API writes them; a third each pending, paid (in full) and
    // fulfilled.
    await db.query(
      `INSERT INTO orders (customer_id, status, currency, items, subtotal, total, amount_paid,
         created_at, updated_at)
       SELECT c.id, (ARRAY['pending', 'paid', 'fulfilled'])[1 + g % 3], 'EUR', lines.items,
              lines.total, lines.total, CASE WHEN g % 3 = 0 THEN 0 ELSE lines.total END,
              now() - make_interval(mins => g), now() - make_interval(mins => g)
       FROM generate_series(1, $1::int) g JOIN bench_customers c ON c.k = g % $2,
       LATERAL (
         SELECT ('[' || string_agg(format(
                  '{"id":"%s","sku":"SKU-%s","name":"Item %s","quantity":%s,"unitPrice":%s,"lineTotal":%s}',
                  gen_random_uuid(), (g * 7 + p) % 500, (g * 7 + p) % 500, quantity, unit_price,
                  quantity * unit_price), ',' ORDER BY p) || ']')::json AS items,
                sum(quantity * unit_price) AS total
         FROM generate_series(0, $3::int - 1) p,
         LATERAL (SELECT 1 + (g + p) % 3 AS quantity, 100 + (g + p) % 900 AS unit_price) amounts
       ) lines`,
      [orders, customers, itemsPerOrder],
    );
    await db.query('COMMIT');
    for (const table of ['users', 'user_roles', 'orders']) {
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
    const { rows } = await db.query(
      `INSERT INTO orders (customer_id, status, currency, items, subtotal, total)
       SELECT u.id, 'pending', 'EUR',
              format('[{"id":"%s","sku":"SKU-PAY","name":"Pay me","quantity":1,"unitPrice":2500,"lineTotal":2500}]',
                gen_random_uuid())::json,
              2500, 2500
       FROM users u, generate_series(1, $2::int) WHERE u.email = $1
       RETURNING id`,
      [customerEmail(n), count],
    );
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
