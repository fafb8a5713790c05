import { QueryFailedError } from 'typeorm';
import { isUniqueViolation, preparedQuery } from '@bastion/database';
import { ORDER_FIELDS } from '../src/orders/orders.repository';
import { OrdersRepository } from '../src/orders';
import { newOrder, signedIn } from './support/factories';
import { oneItem } from './support/payments';
import { TestEnvironment, TestInstance } from './support/test-app';

/** The prepared statements and the order JSON PostgreSQL writes: the hot paths' shortcuts. */
describe('database fast path', () => {
  let env: TestEnvironment;
  let api: TestInstance;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
  });
  afterAll(() => env.close());

  describe('order JSON', () => {
    it('has every field of OrderDto, in order, with a null note as null', async () => {
      const alice = await signedIn(api);
      const order = await newOrder(api, alice.auth, oneItem(250));
      const response = await api.http().get(`/v1/orders/${order.id}`).set(alice.auth).expect(200);
      expect(Object.keys(response.body as object)).toEqual(Object.keys(ORDER_FIELDS));
      expect(response.body).toMatchObject({ note: null, currency: 'EUR', amountPaid: 0 });
    });

    it('stays valid JSON of the same shape when a column it reads is NULL', async () => {
      const alice = await signedIn(api);
      const order = await newOrder(api, alice.auth, { ...oneItem(250), note: 'Ring "twice"' });
      const runner = api.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        // A migration making columns nullable, seen inside a transaction that is rolled back.
        await runner.query('ALTER TABLE orders ALTER COLUMN currency DROP NOT NULL');
        await runner.query('ALTER TABLE orders ALTER COLUMN amount_paid DROP NOT NULL');
        await runner.query(
          'UPDATE orders SET currency = NULL, amount_paid = NULL, note = NULL WHERE id = $1',
          [order.id],
        );
        const read = await api.app.get(OrdersRepository).get(runner.manager, order.id);
        expect(Object.keys(read)).toEqual(Object.keys(ORDER_FIELDS));
        expect(read).toMatchObject({ id: order.id, currency: null, amountPaid: null, note: null });
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    });
  });

  describe('prepared statements', () => {
    const insert = `INSERT INTO webhook_events (provider, event_id, type, outcome)
                    VALUES ($1, $2, 'payment.succeeded', 'applied')`;

    it('report a duplicate as TypeORM does, so the same check recognises it', async () => {
      await preparedQuery(api.dataSource, insert, ['sandbox', 'evt_fast_path']);
      const error = await preparedQuery(api.dataSource, insert, ['sandbox', 'evt_fast_path']).catch(
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as QueryFailedError).query).toBe(insert);
      expect(isUniqueViolation(error)).toBe(true);
      expect(isUniqueViolation(error, 'webhook_events_pkey')).toBe(true);
      expect(isUniqueViolation(error, 'another_constraint')).toBe(false);
    });

    it('run inside the transaction whose manager they are given', async () => {
      await api.dataSource
        .transaction(async (manager) => {
          await preparedQuery(manager, insert, ['sandbox', 'evt_rolled_back']);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      const rows = await api.dataSource.query(
        `SELECT 1 FROM webhook_events WHERE event_id = 'evt_rolled_back'`,
      );
      expect(rows).toEqual([]);
    });
  });
});
