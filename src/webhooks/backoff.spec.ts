import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles from the base after each failed attempt', () => {
    const top = () => 1;

    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(5000, attempts, top))).toEqual([
      5000, 10_000, 20_000, 40_000,
    ]);
  });

  it('jitters over the upper half of the delay', () => {
    expect(retryDelayMs(5000, 3, () => 0)).toBe(10_000);
    expect(retryDelayMs(5000, 3, () => 0.5)).toBe(15_000);
  });

  it('never waits more than an hour between attempts', () => {
    expect(retryDelayMs(5000, 80, () => 1)).toBe(3600 * 1000);
  });
});
