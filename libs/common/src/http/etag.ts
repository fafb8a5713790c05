import {
  applyDecorators,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader, ApiPreconditionFailedResponse, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import { ProblemException } from '../problem/problem';

export function etagFor(version: number): string {
  return `"${version}"`;
}

/** Parses a required If-Match header into the version it names (428 when absent, 412 when unusable). */
export function versionFromIfMatch(ifMatch: string | undefined): number {
  if (ifMatch === undefined || ifMatch.trim() === '') {
    throw new ProblemException({
      status: HttpStatus.PRECONDITION_REQUIRED,
      slug: 'precondition-required',
      title: 'Precondition required',
      detail: 'Send If-Match with the ETag of the version you are changing.',
    });
  }
  const match = /^(?:W\/)?"(\d+)"$/.exec(ifMatch.trim());
  if (!match) throw preconditionFailed();
  return Number(match[1]);
}

export function preconditionFailed(): ProblemException {
  return new ProblemException({
    status: HttpStatus.PRECONDITION_FAILED,
    slug: 'precondition-failed',
    title: 'Precondition failed',
    detail: 'The resource has changed since you read it; fetch it again and retry.',
  });
}

/** Sends the resource's version as its ETag and returns the resource. */
export function withEtag<T extends { version: number }>(reply: FastifyReply, resource: T): T {
  void reply.header('etag', etagFor(resource.version));
  return resource;
}

/**
 * A resource that is JSON text already (as PostgreSQL wrote it), with the version its ETag
 * carries: `Versioned` routes send the text as it is.
 */
export class VersionedJson {
  constructor(
    readonly json: string,
    readonly version: number,
  ) {}
}

/** The handler's parameter: the version a required `If-Match` names (428 absent, 412 unusable). */
export const IfMatch = createParamDecorator((_: unknown, context: ExecutionContext): number =>
  versionFromIfMatch(context.switchToHttp().getRequest<FastifyRequest>().headers['if-match']),
);

@Injectable()
class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((resource: { version: number }) => {
        void reply.header('etag', etagFor(resource.version));
        if (!(resource instanceof VersionedJson)) return resource;
        void reply.header('content-type', 'application/json; charset=utf-8');
        return resource.json;
      }),
    );
  }
}

/**
 * The route answers one versioned resource (with a `version`, or a `VersionedJson`): its
 * version goes out as the ETag, so handlers need not touch the reply.
 */
export function Versioned() {
  return UseInterceptors(EtagInterceptor);
}

/** Documents the `ETag` response header of a versioned resource. */
export function etagHeaderDoc(resource: string, example: string) {
  return {
    ETag: {
      description: `The ${resource}'s version, for \`If-Match\`.`,
      schema: { type: 'string', example },
    },
  };
}

/** Documents optimistic locking on a change: the required `If-Match`, and its 412 and 428. */
export function ApiIfMatch(resource: string, example: string) {
  return applyDecorators(
    ApiHeader({ name: 'If-Match', required: true, example, description: 'The ETag read.' }),
    ApiPreconditionFailedResponse({
      description: `The ${resource} changed since the ETag was read.`,
    }),
    ApiResponse({ status: 428, description: '`If-Match` is missing.' }),
  );
}
