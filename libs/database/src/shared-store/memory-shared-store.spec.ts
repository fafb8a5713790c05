import { MemorySharedStore } from './memory-shared-store';

describe('MemorySharedStore', () => {
  let now: number;
  let store: MemorySharedStore;

  beforeEach(() => {
    now = 1_000_000;
    store = new MemorySharedStore(() => now);
  });

  afterEach(async () => {
    await store.close();
  });

  it('is not distributed and answers ping', async () => {
    expect(store.distributed).toBe(false);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('returns null for a missing key', async () => {
    await expect(store.get('missing')).resolves.toBeNull();
  });

  it('returns what was set until the TTL runs out', async () => {
    await store.set('k', 'v', 10);

    now += 9_999;
    await expect(store.get('k')).resolves.toBe('v');

    now += 1;
    await expect(store.get('k')).resolves.toBeNull();
  });

  it('stays expired even if the clock goes back', async () => {
    await store.set('k', 'v', 1);
    now += 1_000;
    await expect(store.get('k')).resolves.toBeNull();

    now -= 1_000;
    await expect(store.get('k')).resolves.toBeNull();
  });

  it('overwrites the value and the TTL on set', async () => {
    await store.set('k', 'old', 1);
    await store.set('k', 'new', 60);

    now += 30_000;
    await expect(store.get('k')).resolves.toBe('new');
  });

  it('reads many keys in order, null for missing and expired ones', async () => {
    await store.set('a', '1', 10);
    await store.set('b', '2', 100);

    await expect(store.getMany(['a', 'missing', 'b'])).resolves.toEqual(['1', null, '2']);

    now += 10_000;
    await expect(store.getMany(['b', 'a'])).resolves.toEqual(['2', null]);
    await expect(store.getMany([])).resolves.toEqual([]);
  });

  it('deletes the listed keys only', async () => {
    await store.set('a', '1', 10);
    await store.set('b', '2', 10);
    await store.set('c', '3', 10);

    await store.delete(['a', 'c', 'missing']);

    await expect(store.getMany(['a', 'b', 'c'])).resolves.toEqual([null, '2', null]);
  });

  describe('increment', () => {
    it('counts within a fixed window and reports the seconds left', async () => {
      await expect(store.increment('n', 60)).resolves.toEqual({ count: 1, ttlSeconds: 60 });

      now += 20_500;
      await expect(store.increment('n', 60)).resolves.toEqual({ count: 2, ttlSeconds: 40 });

      now += 39_000;
      await expect(store.increment('n', 60)).resolves.toEqual({ count: 3, ttlSeconds: 1 });
    });

    it('does not extend the window on later increments', async () => {
      await store.increment('n', 60);
      now += 59_999;
      await store.increment('n', 60);

      now += 1;
      await expect(store.increment('n', 60)).resolves.toEqual({ count: 1, ttlSeconds: 60 });
    });

    it('starts a new window after the old one ends', async () => {
      await store.increment('n', 10);
      await store.increment('n', 10);

      now += 10_000;
      await expect(store.increment('n', 10)).resolves.toEqual({ count: 1, ttlSeconds: 10 });
      await expect(store.get('n')).resolves.toBe('1');
    });

    it('keeps counters apart per key', async () => {
      await store.increment('a', 60);
      await store.increment('a', 60);

      await expect(store.increment('b', 60)).resolves.toEqual({ count: 1, ttlSeconds: 60 });
    });

    it('restarts after delete', async () => {
      await store.increment('n', 60);
      await store.increment('n', 60);
      await store.delete(['n']);

      await expect(store.increment('n', 60)).resolves.toEqual({ count: 1, ttlSeconds: 60 });
    });
  });

  it('forgets everything on close', async () => {
    await store.set('k', 'v', 60);
    await store.close();

    await expect(store.get('k')).resolves.toBeNull();
  });

  it('drops expired entries on its periodic sweep', async () => {
    jest.useFakeTimers();
    const swept = new MemorySharedStore(() => now);
    try {
      await swept.set('short', 'v', 1);
      await swept.set('long', 'v', 3600);
      now += 1_000;

      jest.advanceTimersByTime(60_000);
      now -= 1_000;

      await expect(swept.getMany(['short', 'long'])).resolves.toEqual([null, 'v']);
    } finally {
      await swept.close();
      jest.useRealTimers();
    }
  });
});
