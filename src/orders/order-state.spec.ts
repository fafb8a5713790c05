import { assertTransition, canTransition, OrderStatus } from './order-state';
import { OrdersException } from './orders.exception';

const {
  Pending: pending,
  Paid: paid,
  Fulfilled: fulfilled,
  Cancelled: cancelled,
  PartiallyRefunded: partial,
  Refunded: refunded,
} = OrderStatus;

// Written out from API.md rather than derived from the table under test.
const ALLOWED = new Set([
  `${pending}>${paid}`,
  `${pending}>${cancelled}`,
  `${paid}>${fulfilled}`,
  `${paid}>${partial}`,
  `${fulfilled}>${partial}`,
  `${partial}>${partial}`,
  `${partial}>${refunded}`,
  `${paid}>${refunded}`,
  `${fulfilled}>${refunded}`,
]);

const ALL = Object.values(OrderStatus);
const PAIRS = ALL.flatMap((from) => ALL.map((to) => [from, to] as const));

describe('order state machine', () => {
  it.each(PAIRS)('%s → %s follows the contract', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}>${to}`));
  });

  it('covers every pair of states (36)', () => {
    expect(PAIRS).toHaveLength(36);
  });

  it('answers an illegal transition with a 409 naming the current state', () => {
    expect.assertions(3);
    try {
      assertTransition(cancelled, paid);
    } catch (error) {
      expect(error).toBeInstanceOf(OrdersException);
      expect((error as OrdersException).getStatus()).toBe(409);
      expect((error as OrdersException).detail).toBe(
        'The order is cancelled; it cannot become paid.',
      );
    }
  });

  it('lets a legal transition pass', () => {
    expect(() => assertTransition(pending, paid)).not.toThrow();
  });

  it('has no way out of cancelled or refunded', () => {
    for (const to of ALL) {
      expect(canTransition(cancelled, to)).toBe(false);
      expect(canTransition(refunded, to)).toBe(false);
    }
  });
});
