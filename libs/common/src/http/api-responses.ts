import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ApiResponseNoStatusOptions } from '@nestjs/swagger';

/** A route's documented answers by status: a description, or the full options of one. */
export type ResponseDocs = Record<number, string | ApiResponseNoStatusOptions>;

/** Documents every answer of a route in one decorator. */
export function ApiResponses(responses: ResponseDocs) {
  return applyDecorators(
    ...Object.entries(responses).map(([status, response]) =>
      ApiResponse({
        status: Number(status),
        ...(typeof response === 'string' ? { description: response } : response),
      }),
    ),
  );
}
