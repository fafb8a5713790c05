import { HttpException, HttpStatus } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_TYPE_BASE = 'https://bastion.dev/problems/';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error response carries them. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

export function problemType(slug: string): string {
  return PROBLEM_TYPE_BASE + slug;
}

export interface ProblemInit {
  status: HttpStatus;
  slug: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/**
 * An error that already knows its problem+json shape. Module exceptions extend it with a
 * code enum; the global filter is the only place that turns it into a response.
 */
export class ProblemException extends HttpException {
  readonly slug: string;
  readonly title: string;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(init: ProblemInit) {
    super(init.detail, init.status);
    this.slug = init.slug;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers;
  }
}

export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[], detail = 'The request is invalid.') {
    super({
      status: HttpStatus.BAD_REQUEST,
      slug: 'validation-failed',
      title: 'Validation failed',
      detail,
      errors,
    });
  }
}

export class NotFoundProblem extends ProblemException {
  constructor(resource: string) {
    super({
      status: HttpStatus.NOT_FOUND,
      slug: 'not-found',
      title: 'Not found',
      detail: `${resource} was not found.`,
    });
  }
}

export class ForbiddenProblem extends ProblemException {
  constructor(detail = 'You do not have permission to perform this action.') {
    super({ status: HttpStatus.FORBIDDEN, slug: 'forbidden', title: 'Forbidden', detail });
  }
}
