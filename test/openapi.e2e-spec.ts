import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { TestEnvironment, TestInstance } from './support/test-app';

const COMMITTED = join(__dirname, 'contract', 'openapi.json');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

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
