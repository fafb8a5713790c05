import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
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

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  'x-permissions'?: string[];
  responses: Record<string, { content?: Record<string, unknown> }>;
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
});
