import { ShutdownDrain } from './shutdown-drain.service';

describe('ShutdownDrain', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('drains for the given time, and stays draining after it', async () => {
    const drain = new ShutdownDrain();
    expect(drain.draining).toBe(false);
    let done = false;
    const drained = drain.run(5000).then(() => (done = true));

    expect(drain.draining).toBe(true);
    await jest.advanceTimersByTimeAsync(4999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await drained;
    expect(drain.draining).toBe(true);
  });

  it('ends at once when told to, e.g. on a second signal', async () => {
    const drain = new ShutdownDrain();
    const drained = drain.run(60_000);

    drain.end();
    await expect(drained).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});
