import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { ValidationProblem } from '../problem/problem';

/**
 * Fastify's own JSON parser (prototype poisoning refused), whose failures are answered as every
 * other bad input is: a 400 with `errors`. Left to Fastify, they reach the problem filter as a
 * bare 400 that no longer says which.
 */
export function jsonBodyParser(fastify: FastifyInstance): FastifyBodyParser<Buffer> {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (body.length === 0) {
      done(
        new ValidationProblem(
          [{ field: 'body', message: 'must not be empty' }],
          'The request body is empty but declared as JSON.',
        ),
        undefined,
      );
      return;
    }
    void parse(request, body.toString('utf8'), (error, value) => {
      if (error) {
        done(
          new ValidationProblem(
            [{ field: 'body', message: 'is not valid JSON' }],
            'The request body is not valid JSON.',
          ),
          undefined,
        );
        return;
      }
      done(null, value);
    });
  };
}
