import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

// A Fastify route option, so that hooks outside Nest (the denial recorder) can read it too.
declare module 'fastify' {
  interface FastifyContextConfig {
    credentialRoute?: boolean;
  }
}

/**
 * Marks a route that checks a password, code or token. Each such route has a window of its own
 * per caller, `CREDENTIAL_RATE_LIMIT_MAX` requests per `RATE_LIMIT_TTL`, on top of the shared
 * failed-login lockout: it slows guessing without locking anyone out for long.
 */
export const CredentialThrottle = () => RouteConfig({ credentialRoute: true });

export function isCredentialRoute(request: Pick<FastifyRequest, 'routeOptions'>): boolean {
  return request.routeOptions.config?.credentialRoute === true;
}

/** The problem slug of a request that authentication refused: no valid access token or API key. */
export const INVALID_TOKEN = 'invalid-token';
