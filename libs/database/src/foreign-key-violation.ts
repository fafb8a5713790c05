import { QueryFailedError } from 'typeorm';

const FOREIGN_KEY_VIOLATION = '23503';

/** Whether `error` is PostgreSQL refusing to break this foreign key: a race a pre-check lost. */
export function isForeignKeyViolation(error: unknown, constraint: string): boolean {
  const driverError =
    error instanceof QueryFailedError ? (error.driverError as Record<string, unknown>) : {};
  return driverError.code === FOREIGN_KEY_VIOLATION && driverError.constraint === constraint;
}
