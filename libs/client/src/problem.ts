import type { components } from './generated/openapi';

export type ProblemDetails = components['schemas']['ProblemDetails'];
export type FieldError = NonNullable<ProblemDetails['errors']>[number];

const PROBLEM_BASE = 'https://bastion.dev/problems/';

/**
 * An error answer of the API (RFC 9457 problem+json), thrown by every call of `BastionClient`.
 * Answers that are not problem+json (a proxy's 502 page) become one too, so callers handle a
 * single error type.
 */
export class BastionProblem extends Error implements ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly requestId: string;
  /** One entry per bad field on a validation 400, with dotted paths (`items.0.quantity`). */
  readonly errors?: FieldError[];
  /** Seconds the server asks to wait (`Retry-After`), on 429, 503 and some 409s. */
  readonly retryAfter?: number;

  constructor(problem: ProblemDetails, retryAfter?: number) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'BastionProblem';
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.requestId = problem.requestId;
    if (problem.errors) this.errors = problem.errors;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }

  /** The last segment of `type`, e.g. `mfa-required`, `precondition-failed`. */
  get slug(): string {
    return this.type.startsWith(PROBLEM_BASE) ? this.type.slice(PROBLEM_BASE.length) : this.type;
  }

  static from(response: Response, body: unknown): BastionProblem {
    const header = response.headers.get('retry-after');
    const retryAfter = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
    if (isProblem(body)) return new BastionProblem(body, retryAfter);
    return new BastionProblem(
      {
        type: 'about:blank',
        title: response.statusText || 'Error',
        status: response.status,
        detail: typeof body === 'string' ? body.slice(0, 200) : '',
        instance: new URL(response.url || 'http://unknown/').pathname,
        requestId: response.headers.get('x-request-id') ?? '',
      },
      retryAfter,
    );
  }
}

function isProblem(body: unknown): body is ProblemDetails {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Partial<ProblemDetails>;
  return typeof candidate.type === 'string' && typeof candidate.status === 'number';
}
