import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import {
  CursorShape,
  decodeKeysetCursor,
  Keyset,
  KeysetCursor,
  Page,
  PageQueryDto,
  toPage,
} from './pagination';

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
  builder
    .addSelect(keyset.keySql, 'page_cursor_key')
    .orderBy(keyset.sort, keyset.direction)
    .addOrderBy(keyset.id, keyset.direction)
    .limit(query.limit + 1);
  if (query.cursor) {
    const position = keyset.decode(query.cursor);
    let bound = 0;
    builder.andWhere(
      keyset.after(position, (value) => {
        const name = `page${bound++}`;
        builder.setParameter(name, value);
        return `:${name}`;
      }),
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
