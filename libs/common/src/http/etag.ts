import { HttpStatus } from '@nestjs/common';
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
