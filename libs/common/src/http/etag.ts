import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiHeader, ApiPreconditionFailedResponse, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
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
