import { Writable } from 'node:stream';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { logRequests } from './logger-options';

function captured(level: string): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

async function appLoggingTo(logger: pino.Logger): Promise<FastifyInstance> {
  const app = Fastify({ genReqId: () => 'request-1' });
  logRequests(app, logger);
  app.get('/orders/:id', async (request) => {
    (request as unknown as { principal: object }).principal = { type: 'user', id: 'u-1' };
    return { ok: true };
  });
  app.get('/boom', async (_request, reply) => reply.code(503).send({ down: true }));
  await app.ready();
  return app;
}

describe('logRequests', () => {
  it('writes one line per request at info: request id, path without query, status, actor', async () => {
    const { lines, logger } = captured('info');
    const app = await appLoggingTo(logger);

    await app.inject({ method: 'GET', url: '/orders/42?token=secret' });

    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        requestId: 'request-1',
        req: { method: 'GET', url: '/orders/42' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        actor: { type: 'user', id: 'u-1' },
      }),
    ]);
    await app.close();
  });

  it('writes nothing for successes above info, and 5xx answers at error', async () => {
    const { lines, logger } = captured('warn');
    const app = await appLoggingTo(logger);

    await app.inject({ method: 'GET', url: '/orders/42' });
    await app.inject({ method: 'GET', url: '/boom' });

    expect(lines).toEqual([
      expect.objectContaining({ level: 50, req: { method: 'GET', url: '/boom' } }),
    ]);
    expect(lines[0]).not.toHaveProperty('actor');
    await app.close();
  });
});
