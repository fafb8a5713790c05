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
    let secondPass!: () => void;
    const secondPassRan = new Promise<void>((resolve) => (secondPass = resolve));
    const passes = new SerialPasses(
      5,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('first pass fails');
        secondPass();
      },
      (error) => errors.push(error),
    );
    passes.start();
    await secondPassRan;
    await passes.stop();
    expect(errors).toEqual([new Error('first pass fails')]);
  });

  it('stops: waits for the running pass and schedules no other', async () => {
    let calls = 0;
    let finished = false;
    let begun!: () => void;
    const passBegun = new Promise<void>((resolve) => (begun = resolve));
    const passes = new SerialPasses(
      1,
      async () => {
        calls += 1;
        begun();
        await tick(20);
        finished = true;
      },
      () => undefined,
    );
    passes.start();
    await passBegun;
    await passes.stop();
    expect(passes.stopping).toBe(true);
    expect(finished).toBe(true);
    await tick(20);
    expect(calls).toBe(1);
  });
});
