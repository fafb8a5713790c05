import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SECURITY, BEARER_SECURITY } from '@bastion/rbac';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Response = { description: string; content?: Json; headers?: Record<string, Json> };
type Operation = Record<string, Json | undefined> & {
  operationId?: string;
  description?: string;
  requestBody?: Json;
  parameters?: Json[];
  responses: Record<string, Response>;
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
  '503': 'The database is unreachable (`/service-unavailable`); retry after `Retry-After` seconds.',
};

/** What the rate limiter and the problem filter send (the throttler's and ProblemDetailsFilter's). */
const HEADERS = {
  'Retry-After': {
    description: 'Seconds to wait before sending the request again.',
    schema: { type: 'integer', minimum: 0, example: 30 },
  },
  'X-RateLimit-Limit': {
    description:
      'Requests the caller may send per window (`RATE_LIMIT_MAX`; on credential routes `CREDENTIAL_RATE_LIMIT_MAX`, counted per route).',
    schema: { type: 'integer', minimum: 1, example: 300 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', minimum: 0, example: 299 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends and the count starts again.',
    schema: { type: 'integer', minimum: 0, example: 60 },
  },
};
const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

/** In display order; the document lists those its operations use. */
const TAGS = [
  {
    name: 'auth',
    description:
      "Sign in (password and TOTP, or single sign-on), refresh and revoke sessions; the caller's own account and second factor.",
  },
  {
    name: 'api-keys',
    description:
      "Service accounts for internal apps: keys sent as `X-API-Key`, holding a subset of their creator's permissions; the secret is shown once.",
  },
  {
    name: 'users',
    description: 'People who use Bastion: create, edit, disable, delete, and set their roles.',
  },
  {
    name: 'roles',
    description:
      'Roles map to sets of permissions from a fixed catalogue; built-in roles are read-only.',
  },
  {
    name: 'orders',
    description:
      'Orders and their items, with totals computed by the server: pending, paid, fulfilled, cancelled, refunded.',
  },
  {
    name: 'payments',
    description:
      "Payments and refunds through a provider (the built-in `sandbox` in development), with `Idempotency-Key`; the providers' signed callbacks.",
  },
  {
    name: 'webhooks',
    description:
      'Event subscriptions: internal apps receive signed deliveries (Standard Webhooks) of what happens instead of polling.',
  },
  {
    name: 'audit',
    description:
      'The append-only, hash-chained audit log: search, export, verify, and its signed checkpoints.',
  },
  {
    name: 'operations',
    description: 'Liveness, readiness and Prometheus metrics, for load balancers and monitoring.',
  },
];

/**
 * Operations that answer without the database: the others can all meet an outage (authentication
 * itself reads it), which ProblemDetailsFilter answers 503 with `Retry-After`. Readiness reports
 * the outage in a 503 of its own.
 */
const WITHOUT_DATABASE = new Set(['Health_live', 'Health_ready', 'Health_scrape', 'Sso_providers']);

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
function completeOperation(path: string, operation: Operation): void {
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
  // Even an operation that takes no input refuses an unknown query parameter (UndeclaredInputGuard).
  responses['400'] ??= { description: STANDARD_ERRORS['400'] };
  if (operation.requestBody) {
    responses['413'] ??= { description: STANDARD_ERRORS['413'] };
    responses['415'] ??= { description: STANDARD_ERRORS['415'] };
  }
  // The versioned API is rate limited; health and metrics are not (SkipThrottle).
  const rateLimited = path.startsWith('/v1/');
  if (rateLimited) responses['429'] ??= { description: STANDARD_ERRORS['429'] };
  if (!WITHOUT_DATABASE.has(operation.operationId ?? '')) {
    const existing = responses['503']?.description;
    responses['503'] = {
      description: existing
        ? `${existing}\n\nAlso: ${STANDARD_ERRORS['503']}`
        : STANDARD_ERRORS['503'],
      headers: { 'Retry-After': headerRef('Retry-After') },
    };
  }
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) >= 400) response.content = PROBLEM_CONTENT;
    if (status === '429') {
      response.headers = { 'Retry-After': { ...HEADERS['Retry-After'], required: true } };
    } else if (rateLimited && Number(status) < 400) {
      response.headers = {
        ...response.headers,
        ...Object.fromEntries(RATE_LIMIT_HEADERS.map((name) => [name, headerRef(name)])),
      };
    }
  }
}

/** Swagger UI: the token survives a reload, and each operation shows the id clients call it by. */
export const SWAGGER_UI_OPTIONS = { persistAuthorization: true, displayOperationId: true };

/** The OpenAPI document, deterministic: stable operation ids, every key sorted. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Bastion API')
    .setDescription(
      'Enterprise backend with role-based access control. Errors are application/problem+json (RFC 9457).',
    )
    .setVersion('1')
    // Relative, so the document is the same wherever it is served and "Try it out" calls the
    // server that served it.
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SECURITY)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, API_KEY_SECURITY)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  const tags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item)) {
      if (operation && typeof operation === 'object' && 'responses' in operation) {
        completeOperation(path, operation as Operation);
        for (const tag of (operation as { tags?: string[] }).tags ?? []) tags.add(tag);
      }
    }
  }
  document.tags = TAGS.filter((tag) => tags.has(tag.name));
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, ProblemDetails: PROBLEM_SCHEMA };
  document.components.headers = {
    ...document.components.headers,
    ...(HEADERS as NonNullable<OpenAPIObject['components']>['headers']),
  };
  return sortKeys(document as unknown as Json) as unknown as OpenAPIObject;
}

export function serializeOpenApi(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
