import type { FastifyInstance } from 'fastify';
import type { Params } from 'nestjs-pino';
import pino, { Logger } from 'pino';
import { requestContext } from '@bastion/common';
import type { RequestWithPrincipal } from '@bastion/rbac';
import { AppConfig } from '../config/app-config';

/** Every path a secret could take into a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.otp',
  '*.secret',
  '*.key',
  '*.token',
  // TypeORM's QueryFailedError carries the statement's parameters: hashes, tokens, emails.
  'err.parameters',
  'err.driverError.parameters',
];

export function createRootLogger(config: AppConfig): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    mixin: () => {
      const context = requestContext.current();
      return context ? { requestId: context.requestId } : {};
    },
  });
}

/**
 * nestjs-pino for the application's own log lines, without its per-request middleware: that
 * built a child logger for every request (about a twentieth of a request's CPU) even when no
 * line was written. Requests are logged by `logRequests` instead.
 */
export function loggerOptions(logger: Logger): Params {
  return { pinoHttp: { logger }, forRoutes: [] };
}

/** One line per answered request: info, or error for a 5xx; built only when that level is on. */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) {
      const { principal } = request as unknown as Partial<RequestWithPrincipal>;
      logger[level](
        {
          requestId: request.id,
          req: { method: request.method, url: request.url.split('?')[0] },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
          ...(principal ? { actor: { type: principal.type, id: principal.id } } : {}),
        },
        'request completed',
      );
    }
    done();
  });
}
