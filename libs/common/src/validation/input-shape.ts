import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { FieldError, ValidationProblem } from '../problem/problem';

/** Deeper JSON than any route takes; the limit keeps recursive code (DTOs, hashing) off the stack. */
export const MAX_INPUT_DEPTH = 32;

interface Pending {
  value: unknown;
  path: string;
  depth: number;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * What no route can take, whatever its DTO says: nesting deeper than `MAX_INPUT_DEPTH` (the outermost
 * object or array is level 1) and NUL characters, which PostgreSQL refuses in text. Walks with its own
 * stack, so a body of 200,000 nested arrays costs time in proportion to its size and no recursion.
 * `root` names the input as a whole (`body`, `query`), for a problem that has no field of its own.
 */
export function inputShapeErrors(input: unknown, root = 'body'): FieldError[] {
  const errors: FieldError[] = [];
  const pending: Pending[] = [{ value: input, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop() as Pending;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        errors.push({ field: path || root, message: 'must not contain a NUL character' });
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth === MAX_INPUT_DEPTH) {
      errors.push({
        field: path || root,
        message: `is nested deeper than ${MAX_INPUT_DEPTH} levels`,
      });
      continue;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.some(([key]) => key.includes('\u0000'))) {
      errors.push({ field: path || root, message: 'has a field name with a NUL character' });
      continue;
    }
    // Pushed in reverse so that errors come out in document order.
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, child] = entries[index];
      pending.push({ value: child, path: join(path, key), depth: depth + 1 });
    }
  }
  return errors;
}

/**
 * A Fastify `preValidation` hook: runs once the body is parsed (JSON.parse does not recurse) and
 * before anything that does (guards, the idempotency fingerprint, class-transformer), on every route.
 */
export function rejectMalformedInput(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const errors = [
    ...inputShapeErrors(request.params, 'path'),
    ...inputShapeErrors(request.query, 'query'),
    ...inputShapeErrors(request.body),
  ];
  done(errors.length > 0 ? new ValidationProblem(errors) : undefined);
}
