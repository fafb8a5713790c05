import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDependencyUnavailable } from './dependency-unavailable';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, ProblemException, problemType } from './problem';

interface ProblemShape {
  status: number;
  slug: string;
  title: string;
  detail: string;
  errors?: ProblemDetails['errors'];
  headers?: Record<string, string>;
}

const STATUS_SLUGS: Record<number, [slug: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable-content', 'Unprocessable content'],
  428: ['precondition-required', 'Precondition required'],
  429: ['rate-limited', 'Too many requests'],
  503: ['service-unavailable', 'Service unavailable'],
};

interface FastifyClientError {
  statusCode: number;
  code: string;
  message: string;
}

function isFastifyClientError(error: unknown): error is FastifyClientError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as Partial<FastifyClientError>;
  return (
    typeof candidate.code === 'string' &&
    candidate.code.startsWith('FST_') &&
    typeof candidate.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500
  );
}

function fromStatus(status: number, detail: string): ProblemShape {
  const [slug, title] = STATUS_SLUGS[status] ?? ['error', 'Error'];
  return { status, slug, title, detail };
}

/** The one place where errors become responses: RFC 9457 problem+json, nothing internal. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = this.toProblem(exception);
    if (problem.status === 503) {
      // A dependency away, or this instance shutting down: a state, not a bug.
      this.logger.warn({ err: exception, requestId: request.id }, problem.title);
    } else if (problem.status >= 500) {
      this.logger.error({ err: exception, requestId: request.id }, 'Unhandled error');
    }
    const body: ProblemDetails = {
      type: problemType(problem.slug),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: request.url.split('?')[0],
      requestId: String(request.id),
      ...(problem.errors ? { errors: problem.errors } : {}),
    };
    if (problem.headers) void reply.headers(problem.headers);
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  private toProblem(exception: unknown): ProblemShape {
    if (exception instanceof ProblemException) {
      const { slug, title, detail, errors, headers } = exception;
      return { status: exception.getStatus(), slug, title, detail, errors, headers };
    }
    if (exception instanceof ThrottlerException) {
      return fromStatus(HttpStatus.TOO_MANY_REQUESTS, 'Rate limit exceeded. Retry later.');
    }
    if (exception instanceof HttpException) {
      const status: number = exception.getStatus();
      if (status === 404) {
        return fromStatus(status, 'No route or resource matches this request.');
      }
      return fromStatus(
        status,
        status >= 500 ? 'The server could not complete the request.' : exception.message,
      );
    }
    if (isDependencyUnavailable(exception)) {
      // Fail fast and say so: the caller may retry, and nothing internal is revealed.
      return {
        ...fromStatus(
          HttpStatus.SERVICE_UNAVAILABLE,
          'A dependency is unavailable. Retry shortly.',
        ),
        headers: { 'retry-after': '2' },
      };
    }
    if (isFastifyClientError(exception)) {
      return this.fromFastify(exception);
    }
    return fromStatus(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'The server could not complete the request.',
    );
  }

  private fromFastify(error: FastifyClientError): ProblemShape {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return fromStatus(413, 'The request body is larger than the 1 MB limit.');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return fromStatus(415, 'Send the request body as application/json.');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return fromStatus(400, 'The request body is empty but declared as JSON.');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      default:
        if (error.statusCode === 400) {
          return fromStatus(400, 'The request body is not valid JSON.');
        }
        return fromStatus(error.statusCode, 'The request could not be processed.');
    }
  }
}
