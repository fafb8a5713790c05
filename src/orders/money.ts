import { ValueTransformer } from 'typeorm';

export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 10_000;
export const MAX_UNIT_PRICE = 100_000_000;
/** MAX_ITEMS × MAX_QUANTITY × MAX_UNIT_PRICE = 1e14, well below 2^53: JSON numbers stay exact. */
export const MAX_ORDER_TOTAL = MAX_ITEMS * MAX_QUANTITY * MAX_UNIT_PRICE;

export interface LineInput {
  quantity: number;
  unitPrice: number;
}

export interface PricedOrder<Line extends LineInput> {
  lines: (Line & { lineTotal: number })[];
  subtotal: number;
  total: number;
}

/** Guards the arithmetic: an amount that is not a safe integer would silently lose cents. */
export function assertMinorUnits(amount: number, what: string): number {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`${what} is not a non-negative safe integer: ${amount}`);
  }
  return amount;
}

/** Line totals, subtotal and total in integer minor units; the client never sends them. */
export function priceOrder<Line extends LineInput>(items: Line[]): PricedOrder<Line> {
  const lines = items.map((item) => ({
    ...item,
    lineTotal: assertMinorUnits(item.quantity * item.unitPrice, 'lineTotal'),
  }));
  const subtotal = assertMinorUnits(
    lines.reduce((sum, line) => sum + line.lineTotal, 0),
    'subtotal',
  );
  return { lines, subtotal, total: subtotal };
}

/** bigint columns come back from pg as strings; amounts are bounded (< 2^53), so numbers are exact. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
