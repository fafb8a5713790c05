import { ExpiringMap } from './expiring-map';

describe('ExpiringMap', () => {
  afterEach(() => jest.useRealTimers());

  it('forgets an entry once its time is up', () => {
    jest.useFakeTimers({ now: 1_000 });
    const map = new ExpiringMap<string>(10);
    map.set('a', 'one', 500);
    jest.setSystemTime(1_499);
    expect(map.get('a')).toBe('one');
    jest.setSystemTime(1_500);
    expect(map.get('a')).toBeUndefined();
  });

  it('drops the oldest entry when full, counting a renewed entry as new', () => {
    const map = new ExpiringMap<number>(2);
    map.set('a', 1, 60_000);
    map.set('b', 2, 60_000);
    map.set('a', 3, 60_000);
    map.set('c', 4, 60_000);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(3);
    expect(map.get('c')).toBe(4);
  });
});
