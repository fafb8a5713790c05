import {
  assertMinorUnits,
  bigintAsNumber,
  MAX_ITEMS,
  MAX_ORDER_TOTAL,
  MAX_QUANTITY,
  MAX_UNIT_PRICE,
  priceOrder,
} from './money';

describe('money', () => {
  it('prices lines, subtotal and total in integer minor units', () => {
    const priced = priceOrder([
      { quantity: 2, unitPrice: 1999 },
      { quantity: 3, unitPrice: 1 },
      { quantity: 1, unitPrice: 0 },
    ]);
    expect(priced.lines.map((line) => line.lineTotal)).toEqual([3998, 3, 0]);
    expect(priced.subtotal).toBe(4001);
    expect(priced.total).toBe(4001);
  });

  it('keeps the largest order exact: 100 × 10000 × 100000000 = 1e14', () => {
    const items = Array.from({ length: MAX_ITEMS }, () => ({
      quantity: MAX_QUANTITY,
      unitPrice: MAX_UNIT_PRICE,
    }));
    const priced = priceOrder(items);
    expect(priced.total).toBe(100_000_000_000_000);
    expect(priced.total).toBe(MAX_ORDER_TOTAL);
    expect(Number.isSafeInteger(priced.total)).toBe(true);
    expect(JSON.parse(JSON.stringify({ total: priced.total }))).toEqual({ total: 1e14 });
  });

  it('keeps the extra fields of each line', () => {
    const [line] = priceOrder([{ sku: 'A', quantity: 1, unitPrice: 5 }]).lines;
    expect(line).toEqual({ sku: 'A', quantity: 1, unitPrice: 5, lineTotal: 5 });
  });

  it.each([[-1], [0.5], [2 ** 53], [Number.NaN]])('refuses %p as an amount', (amount) => {
    expect(() => assertMinorUnits(amount, 'total')).toThrow(RangeError);
  });

  it('maps bigint column strings to numbers and back', () => {
    expect(bigintAsNumber.from('100000000000000')).toBe(1e14);
    expect(bigintAsNumber.from(null)).toBeNull();
    expect(bigintAsNumber.to(42)).toBe(42);
  });
});
