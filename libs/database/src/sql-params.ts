/** The positional parameters of one SQL text, numbered as they are bound. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** `value` as the next parameter; returns its placeholder. */
  readonly bind = (value: unknown): string => `$${this.values.push(value)}`;

  /**
   * An INSERT of one row into `table`, the row given column by column: the text depends only on
   * the columns, so a caller that always names the same ones always gets the same text.
   */
  insert(table: string, row: Readonly<Record<string, unknown>>): string {
    const columns = Object.keys(row);
    const placeholders = columns.map((column) => this.bind(row[column]));
    return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`;
  }
}
