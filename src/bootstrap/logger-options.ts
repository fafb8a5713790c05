import type { Params } from 'nestjs-pino';
import { requestContext } from '@bastion/common';
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

export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      // Fastify already assigned the request id (see createApp); log lines carry the same one.
      genReqId: () => requestContext.current()?.requestId ?? '',
      customProps: () => {
        const context = requestContext.current();
        return context?.actor ? { actor: { type: context.actor.type, id: context.actor.id } } : {};
      },
      serializers: {
        res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
        req: (request: { id: string; method: string; url: string }) => ({
          id: request.id,
          method: request.method,
          url: request.url.split('?')[0],
        }),
      },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : 'info',
      mixin: () => {
        const context = requestContext.current();
        return context ? { requestId: context.requestId } : {};
      },
    },
    assignResponse: false,
  };
}
