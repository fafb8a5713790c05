import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import {
  CursorShape,
  decodeKeysetCursor,
  KeysetCursor,
  Page,
  PageQueryDto,
  timestampCursorSql,
  TIMESTAMP_KEY,
  toPage,
  UUID_PATTERN,
} from './pagination';

/**
 * How a list is ordered: one sort column and the uuid that breaks its ties, both one way. A
 * `timestamptz` key travels in the cursor as `timestampCursorSql` text (microseconds); a `text`
 * key as it is, and a cursor whose key does not match `pattern` is a 400.
 */
export type Keyset = {
  /** The sort column as SQL, e.g. `u.created_at` or `role.name COLLATE "C"`. */
  sort: string;
  /** The tie-breaking uuid column, e.g. `u.id`. */
  id: string;
  direction: 'ASC' | 'DESC';
} & ({ type: 'timestamptz' } | { type: 'text'; pattern: RegExp });

/**
 * One page of the entities the builder selects, in keyset order: the builder brings its filters,
 * this adds the order, the cursor's position and `limit + 1`. The builder must not join to-many
 * relations (a row per entity), so load those for the page afterwards.
 */
export async function paginate<Entity extends ObjectLiteral>(
  builder: SelectQueryBuilder<Entity>,
  query: PageQueryDto,
  keyset: Keyset,
): Promise<Page<Entity>> {
  const keyText = keyset.type === 'timestamptz' ? timestampCursorSql(keyset.sort) : keyset.sort;
  builder
    .addSelect(keyText, 'page_cursor_key')
    .orderBy(keyset.sort, keyset.direction)
    .addOrderBy(keyset.id, keyset.direction)
    .limit(query.limit + 1);
  if (query.cursor) {
    const after = decodeKeysetCursor(query.cursor, shapeOf(keyset));
    const beyond = keyset.direction === 'DESC' ? '<' : '>';
    builder.andWhere(
      `(${keyset.sort}, ${keyset.id}) ${beyond} (CAST(:pageKey AS ${keyset.type}), CAST(:pageId AS uuid))`,
      { pageKey: after.key, pageId: after.id },
    );
  }
  const { entities, raw } = await builder.getRawAndEntities<{ page_cursor_key: string }>();
  const keys = raw.map((row) => row.page_cursor_key);
  return toPage(
    entities.map((entity, index) => ({ entity, key: keys[index] })),
    query.limit,
    (row) => row.entity,
    (row) => ({ key: row.key, id: String(row.entity.id) }),
  );
}

/** `paginate` for a list held in memory, sorted ascending (byte order) by its cursor key. */
export function paginateSorted<Item>(
  sorted: readonly Item[],
  query: PageQueryDto,
  shape: CursorShape,
  cursorOf: (item: Item) => KeysetCursor,
): Page<Item> {
  const after = query.cursor ? decodeKeysetCursor(query.cursor, shape).key : null;
  const rest = after === null ? sorted : sorted.filter((item) => cursorOf(item).key > after);
  return toPage(rest.slice(0, query.limit + 1), query.limit, (item) => item, cursorOf);
}

/** Maps a page's items, keeping its cursor. */
export function mapPage<Item, Mapped>(page: Page<Item>, map: (item: Item) => Mapped): Page<Mapped> {
  return { data: page.data.map(map), nextCursor: page.nextCursor };
}

function shapeOf(keyset: Keyset): CursorShape {
  return {
    key: keyset.type === 'timestamptz' ? TIMESTAMP_KEY : keyset.pattern,
    id: UUID_PATTERN,
  };
}
