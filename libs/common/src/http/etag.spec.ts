import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '../problem/problem';
import { etagFor, preconditionFailed, versionFromIfMatch } from './etag';

function problemFrom(ifMatch: string | undefined): ProblemException {
  try {
    versionFromIfMatch(ifMatch);
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a ProblemException');
}

describe('versionFromIfMatch', () => {
  it.each([undefined, '', '   '])('asks for If-Match (428) when it is %j', (ifMatch) => {
    const problem = problemFrom(ifMatch);

    expect(problem.getStatus()).toBe(HttpStatus.PRECONDITION_REQUIRED);
    expect(problem.slug).toBe('precondition-required');
  });

  it.each<[string, number]>([
    ['"3"', 3],
    ['W/"3"', 3],
    [' "12" ', 12],
    ['"0"', 0],
  ])('reads %s as version %d', (ifMatch, version) => {
    expect(versionFromIfMatch(ifMatch)).toBe(version);
  });

  it('reads back what etagFor wrote', () => {
    expect(etagFor(7)).toBe('"7"');
    expect(versionFromIfMatch(etagFor(7))).toBe(7);
  });

  it.each(['garbage', '3', '"abc"', '"3', '"-1"', '"1.5"', 'w/"3"', '*', '"3", "4"'])(
    'refuses %j with 412',
    (ifMatch) => {
      const problem = problemFrom(ifMatch);

      expect(problem.getStatus()).toBe(HttpStatus.PRECONDITION_FAILED);
      expect(problem.slug).toBe('precondition-failed');
    },
  );
});

describe('preconditionFailed', () => {
  it('is a 412 problem', () => {
    expect(preconditionFailed().getStatus()).toBe(412);
  });
});
