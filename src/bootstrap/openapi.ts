import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SECURITY, BEARER_SECURITY } from '@bastion/rbac';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Operation = Record<string, Json | undefined> & {
  description?: string;
  requestBody?: Json;
  parameters?: Json[];
  responses: Record<string, { description: string; content?: Json }>;
  security?: Json[];
};

const PROBLEM_CONTENT = {
  'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } },
};

const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'instance', 'requestId'],
  properties: {
    type: {
      type: 'string',
      format: 'uri',
      example: 'https://bastion.dev/problems/validation-failed',
    },
    title: { type: 'string', example: 'Validation failed' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string', example: 'The request is invalid.' },
    instance: { type: 'string', example: '/v1/users' },
    requestId: { type: 'string', example: '0f8fad5b-d9cb-469f-a165-70867728950e' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', example: 'items.0.quantity' },
          message: { type: 'string', example: 'must not be less than 1' },
        },
      },
    },
  },
};

const STANDARD_ERRORS: Record<string, string> = {
  '400': 'Invalid input; `errors` lists each bad field.',
  '413': 'The body is larger than 1 MB.',
  '415': 'The body is not application/json.',
  '429': 'Rate limited; see `Retry-After`.',
};

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

/** Adds what every operation shares: permission text, problem+json errors, standard statuses. */
function completeOperation(operation: Operation): void {
  const permissions = operation['x-permissions'] as string[] | undefined;
  const rule = operation['x-permission-rule'] as string | undefined;
  const exception = rule ? `; ${rule}` : '';
  const access =
    permissions === undefined
      ? 'Public.'
      : permissions.length > 0
        ? `Requires one of: ${permissions.map((name) => `\`${name}\``).join(', ')}${exception}.`
        : `Requires any valid credential${exception}.`;
  operation.description = [operation.description, access].filter(Boolean).join('\n\n');
  if (permissions === undefined) operation.security = [];
  const responses = operation.responses;
  const hasInput = Boolean(operation.requestBody) || (operation.parameters?.length ?? 0) > 0;
  if (hasInput) responses['400'] ??= { description: STANDARD_ERRORS['400'] };
  if (operation.requestBody) {
    responses['413'] ??= { description: STANDARD_ERRORS['413'] };
    responses['415'] ??= { description: STANDARD_ERRORS['415'] };
  }
  responses['429'] ??= { description: STANDARD_ERRORS['429'] };
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) >= 400) response.content = PROBLEM_CONTENT;
  }
}

/** The OpenAPI document, deterministic: stable operation ids, every key sorted. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Bastion API')
    .setDescription(
      'Enterprise backend with role-based access control. Errors are application/problem+json (RFC 9457).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SECURITY)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SECURITY)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      if (operation && typeof operation === 'object' && 'responses' in operation) {
        completeOperation(operation as Operation);
      }
    }
  }
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, ProblemDetails: PROBLEM_SCHEMA };
  return sortKeys(document as unknown as Json) as unknown as OpenAPIObject;
}

export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
