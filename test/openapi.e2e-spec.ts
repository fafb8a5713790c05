import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { signedIn } from './support/factories';
import { TestEnvironment, TestInstance } from './support/test-app';

const COMMITTED = join(__dirname, 'contract', 'openapi.json');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
/** The only operations that need a credential but no permission: a caller's own session and secrets. */
const CREDENTIAL_ONLY = [
  'GET /v1/auth/me',
  'POST /v1/auth/logout',
  'POST /v1/auth/mfa/disable',
  'POST /v1/auth/mfa/enable',
  'POST /v1/auth/mfa/setup',
  'POST /v1/auth/password',
];

/** Operations that never read the database, so a database outage cannot answer them 503. */
const WITHOUT_DATABASE = ['Health_live', 'Health_ready', 'Health_scrape', 'Sso_providers'];

interface Header {
  $ref?: string;
  required?: boolean;
  schema?: { type: string };
}

interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  tags?: string[];
  summary?: string;
  description?: string;
  security?: unknown[];
  'x-permissions'?: string[];
  responses: Record<
    string,
    { content?: Record<string, unknown>; headers?: Record<string, Header> }
  >;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  tags?: { name: string; description?: string }[];
  servers?: { url: string }[];
  components: { headers: Record<string, Header> };
}

function operationsOf(document: Document): { where: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      where: `${method.toUpperCase()} ${path}`,
      operation: item[method],
    })),
  );
}

/** Where in the document a schema says `number`: this API has no fractional numbers. */
function numbersIn(value: unknown, at = '#'): string[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => numbersIn(item, `${at}/${index}`));
  if (!value || typeof value !== 'object') return [];
  const own = (value as { type?: unknown }).type === 'number' ? [at] : [];
  return [
    ...own,
    ...Object.entries(value).flatMap(([key, child]) => numbersIn(child, `${at}/${key}`)),
  ];
}

describe('OpenAPI document', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let served: string;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    served = (await api.http().get('/docs/openapi.json').expect(200)).text;
  });
  afterAll(() => env.close());

  it('matches the committed contract (run `npm run openapi:update` after an intended change)', async () => {
    const generated = `${JSON.stringify(JSON.parse(served), null, 2)}\n`;
    if (process.env.UPDATE_OPENAPI === '1') await writeFile(COMMITTED, generated);
    expect(generated).toBe(await readFile(COMMITTED, 'utf8'));
  });

  it('is a valid OpenAPI 3 document', async () => {
    await expect(SwaggerParser.validate(JSON.parse(served))).resolves.toBeDefined();
  });

  it('names the permission of every operation that is neither public nor about the caller only', () => {
    const document = JSON.parse(served) as { paths: Record<string, Record<string, Operation>> };
    const needs: Record<string, string> = {};
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation || operation['x-permissions'] === undefined) continue;
        const where = `${method.toUpperCase()} ${path}`;
        const permissions = operation['x-permissions'];
        needs[where] = permissions.length > 0 ? 'permission' : 'credential';
        for (const name of permissions) {
          expect({ where, described: operation.description?.includes(`\`${name}\``) }).toEqual({
            where,
            described: true,
          });
        }
      }
    }
    const credentialOnly = Object.keys(needs).filter((where) => needs[where] === 'credential');
    expect(credentialOnly.sort()).toEqual(CREDENTIAL_ONLY);
    expect(document.paths['/v1/users/{id}'].get['x-permissions']).toEqual(['users:read']);
    expect(document.paths['/v1/users/{id}'].patch['x-permissions']).toEqual(['users:write']);
  });

  it('gives every operation a summary, an id, its access rule and problem+json errors', () => {
    const document = JSON.parse(served) as { paths: Record<string, Record<string, Operation>> };
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const where = `${method.toUpperCase()} ${path}`;
        expect({ where, summary: Boolean(operation.summary) }).toEqual({ where, summary: true });
        expect(operation.operationId).toBeDefined();
        expect(operationIds.has(operation.operationId as string)).toBe(false);
        operationIds.add(operation.operationId as string);
        expect(operation.description).toMatch(/Public\.|Requires/);
        if (operation['x-permissions'] === undefined) {
          expect({ where, security: operation.security }).toEqual({ where, security: [] });
        } else {
          expect(operation.responses['401']).toBeDefined();
        }
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) >= 400) {
            expect({ where, status, types: Object.keys(response.content ?? {}) }).toEqual({
              where,
              status,
              types: ['application/problem+json'],
            });
          }
        }
      }
    }
  });

  it('has integers, not numbers: money, quantities, versions, sequence numbers, limits, counts', () => {
    const document = JSON.parse(served) as Document;
    expect(numbersIn(document)).toEqual([]);
    const { schemas } = (
      document as unknown as {
        components: { schemas: Record<string, { properties: Record<string, { type: string }> }> };
      }
    ).components;
    const order = schemas.OrderDto.properties;
    expect(order.total.type).toBe('integer');
    expect(order.version.type).toBe('integer');
  });

  it('describes its servers, every tag, and the limit and cursor of every list', () => {
    const document = JSON.parse(served) as Document;
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    const used = new Set(operationsOf(document).flatMap(({ operation }) => operation.tags ?? []));
    const described = (document.tags ?? []).filter((tag) => tag.description);
    expect(described.map((tag) => tag.name).sort()).toEqual([...used].sort());
    let lists = 0;
    for (const { where, operation } of operationsOf(document)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query' || !['limit', 'cursor'].includes(parameter.name)) continue;
        lists += parameter.name === 'limit' ? 1 : 0;
        expect({ where, name: parameter.name, described: Boolean(parameter.description) }).toEqual({
          where,
          name: parameter.name,
          described: true,
        });
      }
    }
    expect(lists).toBeGreaterThanOrEqual(8);
  });

  it('documents the /metrics authorization header as optional', () => {
    const document = JSON.parse(served) as Document;
    const header = document.paths['/metrics'].get.parameters?.find(
      (parameter) => parameter.name.toLowerCase() === 'authorization',
    );
    expect(header).toMatchObject({ in: 'header', required: false });
  });

  it('documents the rate-limit headers the server sends, and Retry-After on every 429', async () => {
    const document = JSON.parse(served) as Document;
    const limited = await env.start({ RATE_LIMIT_MAX: '2' });
    const caller = await signedIn(limited, ['customer']);
    const ok = await limited.http().get('/v1/auth/me').set(caller.auth).expect(200);
    const documented = document.paths['/v1/auth/me'].get.responses['200'].headers ?? {};
    for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
      expect({ name, sent: /^\d+$/.test(String(ok.headers[name.toLowerCase()])) }).toEqual({
        name,
        sent: true,
      });
      expect(documented[name]).toEqual({ $ref: `#/components/headers/${name}` });
      expect(document.components.headers[name].schema?.type).toBe('integer');
    }
    await limited.http().get('/v1/auth/me').set(caller.auth).expect(200);
    const refused = await limited.http().get('/v1/auth/me').set(caller.auth).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await limited.close();
    for (const { where, operation } of operationsOf(document)) {
      const tooMany = operation.responses['429'];
      if (!tooMany) continue;
      expect({ where, retryAfter: tooMany.headers?.['Retry-After']?.required }).toEqual({
        where,
        retryAfter: true,
      });
    }
  });

  it('documents 503 with Retry-After wherever a database outage can answer', () => {
    const document = JSON.parse(served) as Document;
    for (const { where, operation } of operationsOf(document)) {
      if (WITHOUT_DATABASE.includes(operation.operationId ?? '')) continue;
      expect({ where, retryAfter: operation.responses['503']?.headers?.['Retry-After'] }).toEqual({
        where,
        retryAfter: { $ref: '#/components/headers/Retry-After' },
      });
    }
  });

  it('answers 400 to an unknown query parameter even where an operation takes no input', async () => {
    const document = JSON.parse(served) as Document;
    await api.http().get('/health/live?verbose=1').expect(400);
    expect(document.paths['/health/live'].get.responses['400']).toBeDefined();
  });

  it('serves Swagger UI that keeps the token across reloads and shows operation ids', async () => {
    const init = (await api.http().get('/docs/swagger-ui-init.js').expect(200)).text;
    expect(init).toMatch(/"persistAuthorization":\s*true/);
    expect(init).toMatch(/"displayOperationId":\s*true/);
  });
});
