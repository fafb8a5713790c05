import type * as OpenIdClient from 'openid-client' with { 'resolution-mode': 'import' };

/**
 * openid-client is ESM-only. Node 24 loads it with require(), but TypeScript's node16 module mode
 * refuses a static import of ESM from CommonJS, so the module is required here once, typed by a
 * type-only import, and everything else imports it from this file.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const oidc = require('openid-client') as typeof OpenIdClient;

export type OidcConfiguration = OpenIdClient.Configuration;
export type OidcTokens = Awaited<ReturnType<typeof OpenIdClient.authorizationCodeGrant>>;
