import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationProblem } from '../problem/problem';

export class PageQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 20,
    description: 'Page size: how many items to return, 1 to 100.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({
    description:
      "Opaque: the previous page's `nextCursor`, as is. Absent for the first page; a cursor this API did not issue is a 400.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export class PageMetaDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Cursor of the next page; null on the last page.',
  })
  nextCursor!: string | null;
}

/** Keyset position: the sort key and the id of the last row of a page. */
export interface KeysetCursor {
  key: string;
  id: string;
}

/** What a list's cursors look like: anything else is not a cursor it issued. */
export interface CursorShape {
  key: RegExp;
  id: RegExp;
}

// Microsecond precision: a millisecond key would skip or repeat rows created in the same ms.
export const TIMESTAMP_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SQL giving a timestamptz column as a cursor key: UTC text with microseconds. */
export function timestampCursorSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** A cursor over (timestamp, uuid) as `timestampCursorSql` keys it; 400 for anything else. */
export function decodeTimestampCursor(raw: string): KeysetCursor {
  return decodeKeysetCursor(raw, { key: TIMESTAMP_KEY, id: UUID_PATTERN });
}

/** A cursor whose key and id have the list's shape; 400 for anything else. */
export function decodeKeysetCursor(raw: string, shape: CursorShape): KeysetCursor {
  const cursor = decodeCursor(raw);
  if (!shape.key.test(cursor.key) || !shape.id.test(cursor.id)) throw invalidCursor();
  return cursor;
}

/** A cursor over a positive integer key (a sequence number) as `integerCursor` encodes it. */
export function decodeIntegerCursor(raw: string): number {
  const cursor = decodeCursor(raw);
  if (!/^[1-9]\d{0,15}$/.test(cursor.key) || cursor.id !== '') throw invalidCursor();
  return Number(cursor.key);
}

export function integerCursor(key: number): KeysetCursor {
  return { key: String(key), id: '' };
}

function invalidCursor(): ValidationProblem {
  return new ValidationProblem([{ field: 'cursor', message: 'is not a cursor this API issued' }]);
}

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id])).toString('base64url');
}

export function decodeCursor(raw: string): KeysetCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string'
    ) {
      return { key: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the validation error below
  }
  throw invalidCursor();
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says that more exist. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  cursorOf: (row: Row) => KeysetCursor,
): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(toItem),
    nextCursor: hasMore ? encodeCursor(cursorOf(pageRows[pageRows.length - 1])) : null,
  };
}

/**
 * `toPage` for items that are JSON text already: the JSON of the page, built around them without
 * parsing them.
 */
export function toPageJson<Row>(
  rows: Row[],
  limit: number,
  jsonOf: (row: Row) => string,
  cursorOf: (row: Row) => KeysetCursor,
): string {
  const page = toPage(rows, limit, jsonOf, cursorOf);
  return `{"data":[${page.data.join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`;
}

/**
 * A sort key as a cursor carries it: a timestamptz as `timestampCursorSql` text (microseconds, so
 * rows created in the same millisecond are neither skipped nor repeated); a text key as it is,
 * and a cursor whose key does not match `pattern` is not one the list issued.
 */
export type KeysetKey = { type: 'timestamptz' } | { type: 'text'; pattern: RegExp };

/**
 * Keyset pagination over a sort column and the uuid that breaks its ties, both in one direction:
 * the one way every list walks its rows, in raw SQL (orders, payments, audit events) or through
 * the query builder (`paginate`).
 */
export class Keyset {
  constructor(
    /** The sort column as SQL, e.g. `u.created_at` or `role.name COLLATE "C"`. */
    readonly sort: string,
    /** The tie-breaking uuid column, e.g. `u.id`. */
    readonly id: string,
    readonly direction: 'ASC' | 'DESC',
    private readonly key: KeysetKey = { type: 'timestamptz' },
  ) {}

  /** A select-list item: the row's cursor key. */
  get keySql(): string {
    return this.key.type === 'timestamptz' ? timestampCursorSql(this.sort) : this.sort;
  }

  get orderBy(): string {
    return `${this.sort} ${this.direction}, ${this.id} ${this.direction}`;
  }

  /** A cursor of this list; 400 for anything else. */
  decode(raw: string): KeysetCursor {
    const key = this.key.type === 'timestamptz' ? TIMESTAMP_KEY : this.key.pattern;
    return decodeKeysetCursor(raw, { key, id: UUID_PATTERN });
  }

  /** The condition for the rows after `cursor` in this order, its values bound by `bind`. */
  after(cursor: KeysetCursor, bind: (value: unknown) => string): string {
    const comparison = this.direction === 'ASC' ? '>' : '<';
    return `(${this.sort}, ${this.id}) ${comparison} (CAST(${bind(cursor.key)} AS ${this.key.type}), CAST(${bind(cursor.id)} AS uuid))`;
  }
}
