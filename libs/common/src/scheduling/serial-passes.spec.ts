import { SerialPasses } from './serial-passes';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SerialPasses', () => {
  it('runs the passes asked for one after another, never two at once', async () => {
    const passes = new SerialPasses(
      60_000,
      async () => undefined,
      () => undefined,
    );
    let running = 0;
    let most = 0;
    const pass = async (value: number) => {
      running += 1;
      most = Math.max(most, running);
      await tick(5);
      running -= 1;
      return value;
    };
    expect(await Promise.all([1, 2, 3].map((value) => passes.run(() => pass(value))))).toEqual([
      1, 2, 3,
    ]);
    expect(most).toBe(1);
  });

  it('runs the scheduled pass again after each one ends, through its failures', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const passes = new SerialPasses(
      5,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('first pass fails');
      },
      (error) => errors.push(error),
    );
    passes.start();
    await tick(60);
    await passes.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(errors).toHaveLength(1);
  });

  it('stops: waits for the running pass and schedules no other', async () => {
    let calls = 0;
    let finished = false;
    const passes = new SerialPasses(
      1,
      async () => {
        calls += 1;
        await tick(20);
        finished = true;
      },
      () => undefined,
    );
    passes.start();
    await tick(5);
    await passes.stop();
    expect(passes.stopping).toBe(true);
    expect(finished).toBe(true);
    const after = calls;
    await tick(20);
    expect(calls).toBe(after);
  });
});
