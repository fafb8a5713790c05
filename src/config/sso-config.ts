/** One OpenID Connect provider, as `SSO_PROVIDERS` describes it (API.md, Single sign-on). */
export interface SsoProviderConfig {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  /** Unset: a public client, which PKCE alone protects. */
  clientSecret?: string;
  /** Where the app may ask to be sent back with the one-time code; compared exactly. */
  redirectUris: string[];
  groupsClaim: string;
  /** IdP group → Bastion role names. The roles named here are the ones SSO manages. */
  roleMap: Record<string, string[]>;
  linkVerifiedEmail: boolean;
  scope: string;
}

export interface SsoConfig {
  providers: SsoProviderConfig[];
  /** Password login is off for everyone but the bootstrap admin. */
  only: boolean;
  /** How clients reach this server; the providers call back to it. */
  publicUrl: string;
}

/** What is wrong with `SSO_PROVIDERS`, naming the entry and field; loadAppConfig reports it. */
export class SsoConfigurationError extends Error {
  override name = 'SsoConfigurationError';
}

const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const ROLE_NAME = /^[a-z][a-z0-9_-]{1,63}$/;
const FIELDS = new Set([
  'id',
  'name',
  'issuer',
  'clientId',
  'clientSecret',
  'redirectUris',
  'groupsClaim',
  'roleMap',
  'linkVerifiedEmail',
  'scope',
]);

function isUrl(value: unknown, production: boolean): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (!production && url.protocol === 'http:');
  } catch {
    return false;
  }
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function parseProvider(raw: unknown, index: number, production: boolean): SsoProviderConfig {
  const where = `SSO_PROVIDERS[${index}]`;
  const fail = (message: string): never => {
    throw new SsoConfigurationError(`${where} ${message}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('must be an object');
  const entry = raw as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((field) => !FIELDS.has(field));
  if (unknown.length > 0) fail(`has unknown fields: ${unknown.join(', ')}`);
  if (typeof entry.id !== 'string' || !PROVIDER_ID.test(entry.id)) {
    fail('.id must be 1-32 of a-z 0-9 _ - (it is part of the callback URL)');
  }
  if (!isText(entry.name)) fail('.name must be a non-empty string');
  const scheme = production ? 'an https:// URL' : 'an http(s):// URL';
  if (!isUrl(entry.issuer, production)) fail(`.issuer must be ${scheme}`);
  if (!isText(entry.clientId)) fail('.clientId must be a non-empty string');
  if (entry.clientSecret !== undefined && !isText(entry.clientSecret)) {
    fail('.clientSecret must be a non-empty string when set');
  }
  const redirectUris = entry.redirectUris;
  if (
    !Array.isArray(redirectUris) ||
    redirectUris.length === 0 ||
    !redirectUris.every((uri) => isUrl(uri, false))
  ) {
    fail('.redirectUris must be a non-empty array of http(s):// URLs');
  }
  if (entry.groupsClaim !== undefined && !isText(entry.groupsClaim)) {
    fail('.groupsClaim must be a non-empty string');
  }
  const roleMap = entry.roleMap ?? {};
  if (
    typeof roleMap !== 'object' ||
    roleMap === null ||
    Array.isArray(roleMap) ||
    !Object.values(roleMap).every(
      (roles) =>
        Array.isArray(roles) &&
        roles.every((role) => typeof role === 'string' && ROLE_NAME.test(role)),
    )
  ) {
    fail('.roleMap must map group names to arrays of role names');
  }
  if (entry.linkVerifiedEmail !== undefined && typeof entry.linkVerifiedEmail !== 'boolean') {
    fail('.linkVerifiedEmail must be true or false');
  }
  if (
    entry.scope !== undefined &&
    !(isText(entry.scope) && entry.scope.split(' ').includes('openid'))
  ) {
    fail('.scope must be a space-separated list that includes openid');
  }
  return {
    id: entry.id as string,
    name: (entry.name as string).trim(),
    issuer: entry.issuer as string,
    clientId: entry.clientId as string,
    clientSecret: entry.clientSecret as string | undefined,
    redirectUris: redirectUris as string[],
    groupsClaim: (entry.groupsClaim as string | undefined) ?? 'groups',
    roleMap: roleMap as Record<string, string[]>,
    linkVerifiedEmail: (entry.linkVerifiedEmail as boolean | undefined) ?? false,
    scope: (entry.scope as string | undefined) ?? 'openid email profile',
  };
}

/** `SSO_PROVIDERS` as JSON; a readable message naming the entry and field when it is wrong. */
export function parseSsoProviders(
  value: string | undefined,
  production: boolean,
): SsoProviderConfig[] {
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new SsoConfigurationError(
      `SSO_PROVIDERS must be a JSON array (${(error as Error).message})`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new SsoConfigurationError('SSO_PROVIDERS must be a JSON array');
  }
  const providers = parsed.map((raw, index) => parseProvider(raw, index, production));
  const ids = providers.map((provider) => provider.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated) {
    throw new SsoConfigurationError(`SSO_PROVIDERS has two providers with the id "${repeated}"`);
  }
  return providers;
}
