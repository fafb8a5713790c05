import { applyDecorators, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { ValidationProblem } from '../problem/problem';

/** The `:id` path segment, parsed as a UUID; anything else is a 400 naming the field. */
export const IdParam = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () => new ValidationProblem([{ field: 'id', message: 'must be a UUID' }]),
    }),
  );

/** Documents the `:id` path segment of a route. */
export const ApiIdParam = (resource: string) =>
  applyDecorators(
    ApiParam({
      name: 'id',
      format: 'uuid',
      description: `The ${resource}'s id.`,
      example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11',
    }),
  );
