import { canonicalJson, ChainedEvent, eventHash, GENESIS_HASH } from './event-hash';

const event: ChainedEvent = {
  id: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11',
  seq: 1,
  occurredAt: '2030-01-02T03:04:05.678901Z',
  actorType: 'user',
  actorId: 'c0ffee00-0000-4000-8000-000000000001',
  actorDisplay: 'ada@example.com',
  action: 'user.updated',
  resourceType: 'user',
  resourceId: 'c0ffee00-0000-4000-8000-000000000002',
  outcome: 'success',
  requestId: 'req-1',
  ip: '127.0.0.1',
  userAgent: 'jest',
  changes: { before: { name: 'Ada' }, after: { name: 'Ada L.' } },
  metadata: {},
  prevHash: GENESIS_HASH,
};

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text whatever order the keys were written in', () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(
      canonicalJson({ y: { a: 1, b: 2 }, x: 1 }),
    );
  });

  it('drops undefined properties and writes undefined array items as null, like JSON', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ 'k"ey': 'line\nbreak "quoted" ✓' })).toBe(
      JSON.stringify({ 'k"ey': 'line\nbreak "quoted" ✓' }),
    );
  });
});

describe('eventHash', () => {
  it('is the SHA-256 hex of the canonical serialization', () => {
    expect(eventHash(event)).toMatch(/^[0-9a-f]{64}$/);
    expect(eventHash({ ...event })).toBe(eventHash(event));
  });

  it.each<[string, Partial<ChainedEvent>]>([
    ['content', { action: 'user.deleted' }],
    ['nested content', { changes: { before: { name: 'Ada' }, after: { name: 'Eve' } } }],
    ['the position', { seq: 2 }],
    ['the predecessor', { prevHash: 'f'.repeat(64) }],
    ['the time, to the microsecond', { occurredAt: '2030-01-02T03:04:05.678902Z' }],
  ])('changes when %s changes', (_case, change) => {
    expect(eventHash({ ...event, ...change })).not.toBe(eventHash(event));
  });
});
