import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';

export const BAD_RANGE = '`from` or `to` not ISO 8601, or `from` after `to`.';

/** `GET /audit-events/export`: the formats it streams and every answer. */
export const ApiExportAuditEvents = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Export audit events, oldest first, as NDJSON or CSV',
      description:
        "Takes the filters of the list, so that an export holds what the list shows. Streamed in constant memory. NDJSON lines have the shape of `AuditEvent`; CSV has one column per field, `changes` and `metadata` as JSON; a text cell that begins with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` so that no spreadsheet runs it. The export itself is recorded (`audit.exported`).",
    }),
    ApiProduces('application/x-ndjson', 'text/csv'),
    ApiOkResponse({
      description: 'The events, streamed.',
      content: {
        'application/x-ndjson': {
          schema: { type: 'string' },
          example:
            '{"id":"7d0c1e3f-5a7b-4d2c-8e6f-0a1b3c5d7e9f","seq":1,"action":"user.created",…}\n',
        },
        'text/csv': {
          schema: { type: 'string' },
          example: 'id,seq,occurredAt,…\r\n7d0c1e3f-5a7b-4d2c-8e6f-0a1b3c5d7e9f,1,…\r\n',
        },
      },
    }),
    ApiBadRequestResponse({
      description: `Unknown \`format\` or parameter, a bad filter as in the list, or ${BAD_RANGE}`,
    }),
  );
