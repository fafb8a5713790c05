import { inputShapeErrors, MAX_INPUT_DEPTH } from './input-shape';

/** `levels` arrays, one inside the other: `[[…]]`. */
function nested(levels: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < levels; level += 1) value = [value];
  return value;
}

describe('inputShapeErrors', () => {
  it('accepts ordinary input', () => {
    expect(
      inputShapeErrors({ items: [{ name: 'Widget', quantity: 2, gift: false }], note: null }),
    ).toEqual([]);
    expect(inputShapeErrors(undefined)).toEqual([]);
    expect(inputShapeErrors('plain')).toEqual([]);
  });

  it(`accepts ${MAX_INPUT_DEPTH} levels and refuses ${MAX_INPUT_DEPTH + 1}, naming the path`, () => {
    expect(inputShapeErrors(nested(MAX_INPUT_DEPTH))).toEqual([]);
    expect(inputShapeErrors({ a: nested(MAX_INPUT_DEPTH - 1) })).toEqual([]);
    expect(inputShapeErrors({ a: nested(MAX_INPUT_DEPTH) })).toEqual([
      {
        field: ['a', ...Array<string>(MAX_INPUT_DEPTH - 1).fill('0')].join('.'),
        message: 'is nested deeper than 32 levels',
      },
    ]);
  });

  it('counts an empty object or array past the limit as too deep', () => {
    expect(inputShapeErrors({ a: { b: nested(MAX_INPUT_DEPTH - 2) } })).toEqual([]);
    expect(inputShapeErrors({ a: { b: nested(MAX_INPUT_DEPTH - 1) } })).toHaveLength(1);
  });

  it('walks 200,000 levels without recursion, stopping at the limit', () => {
    expect(inputShapeErrors(nested(200_000))).toEqual([
      {
        field: Array<string>(MAX_INPUT_DEPTH).fill('0').join('.'),
        message: 'is nested deeper than 32 levels',
      },
    ]);
  });

  it('refuses NUL characters in any string, naming each field in document order', () => {
    expect(
      inputShapeErrors({
        note: 'a\u0000b',
        items: [{ name: 'ok' }, { name: '\u0000' }],
        tags: ['x', 'y\u0000'],
      }),
    ).toEqual([
      { field: 'note', message: 'must not contain a NUL character' },
      { field: 'items.1.name', message: 'must not contain a NUL character' },
      { field: 'tags.1', message: 'must not contain a NUL character' },
    ]);
  });

  it('refuses a NUL character in a field name, and a whole body that is such a string', () => {
    expect(inputShapeErrors({ items: [{ 'na\u0000me': 'x' }] })).toEqual([
      { field: 'items.0', message: 'has a field name with a NUL character' },
    ]);
    expect(inputShapeErrors({ '\u0000': 1 })).toEqual([
      { field: 'body', message: 'has a field name with a NUL character' },
    ]);
    expect(inputShapeErrors('\u0000')).toEqual([
      { field: 'body', message: 'must not contain a NUL character' },
    ]);
  });

  it('reads objects without a prototype, as query strings are parsed', () => {
    const query = Object.assign(Object.create(null) as Record<string, unknown>, {
      q: ['a', 'b\u0000'],
    });
    expect(inputShapeErrors(query, 'query')).toEqual([
      { field: 'q.1', message: 'must not contain a NUL character' },
    ]);
    expect(inputShapeErrors({ '\u0000': '1' }, 'query')).toEqual([
      { field: 'query', message: 'has a field name with a NUL character' },
    ]);
  });
});
