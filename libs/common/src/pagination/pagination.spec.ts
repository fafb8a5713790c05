import { ValidationProblem } from '../problem/problem';
import { decodeCursor, decodeKeysetCursor, encodeCursor, KeysetCursor, toPage } from './pagination';

function cursorError(raw: string): ValidationProblem {
  try {
    decodeCursor(raw);
  } catch (error) {
    if (error instanceof ValidationProblem) return error;
    throw error;
  }
  throw new Error('expected a ValidationProblem');
}

const base64url = (value: string) => Buffer.from(value).toString('base64url');

describe('cursors', () => {
  it('round-trip through encode and decode', () => {
    const cursor: KeysetCursor = {
      key: '2030-01-01T00:00:00.000Z',
      id: '0b7e3c2a-7d8f-4c1e-9a53-1f0c2d4e5f60',
    };

    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('round-trip keys with quotes, commas and non-ASCII text', () => {
    const cursor: KeysetCursor = { key: 'Zoë, "the" ✓', id: '' };

    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('are URL-safe', () => {
    expect(encodeCursor({ key: '\u00ff\u00fe?>', id: '~~~' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['not base64', '!!!***'],
    ['base64 of something that is not JSON', base64url('hello')],
    ['an object', base64url('{"key":"a","id":"b"}')],
    ['an array that is too short', base64url('["a"]')],
    ['an array that is too long', base64url('["a","b","c"]')],
    ['a non-string id', base64url('["a",1]')],
    ['null', base64url('null')],
    ['the empty string', ''],
  ])('refuses %s as a 400 on the field cursor', (_case, raw) => {
    const error = cursorError(raw);

    expect(error.getStatus()).toBe(400);
    expect(error.errors).toEqual([{ field: 'cursor', message: expect.any(String) as string }]);
  });
});

describe('decodeKeysetCursor', () => {
  const shape = { key: /^[a-z]+$/, id: /^\d+$/ };

  it('decodes a cursor of the shape asked for', () => {
    expect(decodeKeysetCursor(encodeCursor({ key: 'ada', id: '42' }), shape)).toEqual({
      key: 'ada',
      id: '42',
    });
  });

  it.each([
    ['key', { key: 'Ada', id: '42' }],
    ['id', { key: 'ada', id: 'x42' }],
  ])(
    'refuses a cursor whose %s has another shape, as a 400 on the field cursor',
    (_part, cursor) => {
      expect(() => decodeKeysetCursor(encodeCursor(cursor), shape)).toThrow(ValidationProblem);
    },
  );
});

describe('toPage', () => {
  interface Row {
    id: string;
    createdAt: string;
  }
  const rows: Row[] = ['a', 'b', 'c', 'd'].map((id, index) => ({
    id,
    createdAt: `2030-01-0${index + 1}`,
  }));
  const toItem = (row: Row) => row.id.toUpperCase();
  const cursorOf = (row: Row): KeysetCursor => ({ key: row.createdAt, id: row.id });

  it('drops the extra row and points the cursor at the last row kept', () => {
    const page = toPage(rows, 3, toItem, cursorOf);

    expect(page.data).toEqual(['A', 'B', 'C']);
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor(page.nextCursor ?? '')).toEqual({ key: '2030-01-03', id: 'c' });
  });

  it('has no next cursor when exactly `limit` rows came back', () => {
    expect(toPage(rows, 4, toItem, cursorOf)).toEqual({
      data: ['A', 'B', 'C', 'D'],
      nextCursor: null,
    });
  });

  it('has no next cursor when fewer rows came back', () => {
    expect(toPage(rows.slice(0, 2), 4, toItem, cursorOf)).toEqual({
      data: ['A', 'B'],
      nextCursor: null,
    });
  });

  it('handles an empty result', () => {
    expect(toPage([], 20, toItem, cursorOf)).toEqual({ data: [], nextCursor: null });
  });
});
