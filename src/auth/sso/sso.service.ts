import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../audit';
import { SsoProviderConfig } from '../../config/sso-config';
import { UsersRepository, UserStatus } from '../../users';
import { randomToken } from '../crypto/token-hash';
import { SessionsService, TokenPair } from '../sessions.service';
import { oidc } from './openid-client';
import { SsoAccounts, SsoClaims, SsoRefusal } from './sso-accounts.service';
import { SsoFlowStore } from './sso-flow-store';
import { SsoProviders } from './sso-providers';
import { SsoErrorCode, SsoException } from './sso.exception';

/**
 * Why a sign-in failed, as the audit log records it. The app that receives `?error=` gets only
 * the coarse OAuth-style code of `publicError`: the reason is for ops.
 */
type FailureReason =
  | 'unknown_provider'
  | 'redirect_uri_not_allowed'
  | 'state_invalid'
  | 'state_replayed'
  | 'idp_unavailable'
  | 'idp_error'
  | 'token_rejected'
  | 'nonce_mismatch'
  | 'id_token_expired'
  | 'id_token_signature_invalid'
  | 'id_token_signing_key_unknown'
  | 'id_token_invalid'
  | 'code_invalid'
  | 'code_replayed'
  | SsoRefusal['reason'];

type Step = 'start' | 'callback' | 'exchange';

const ID_TOKEN_REASONS = new Set<FailureReason>([
  'nonce_mismatch',
  'id_token_expired',
  'id_token_signature_invalid',
  'id_token_signing_key_unknown',
  'id_token_invalid',
  'token_rejected',
]);

function publicError(reason: FailureReason): string {
  if (reason === 'idp_unavailable') return 'temporarily_unavailable';
  if (reason === 'idp_error') return 'access_denied';
  if (ID_TOKEN_REASONS.has(reason)) return 'invalid_id_token';
  return 'account_unavailable';
}

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  name?: unknown;
}

/** The chain of causes of an openid-client error, outermost first. */
function causes(error: unknown): ErrorShape[] {
  const chain: ErrorShape[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && chain.length < 5) {
    chain.push(current);
    current = (current as ErrorShape).cause;
  }
  return chain;
}

/** What went wrong in openid-client's exchange and validation, as a failure reason. */
function classify(error: unknown): FailureReason {
  if (error instanceof oidc.AuthorizationResponseError) return 'idp_error';
  if (error instanceof oidc.ResponseBodyError) {
    return error.status >= 500 ? 'idp_unavailable' : 'token_rejected';
  }
  const chain = causes(error);
  const codes = new Set(chain.map((link) => link.code));
  const said = (text: string) =>
    chain.some((link) => typeof link.message === 'string' && link.message.includes(text));
  if (codes.has('OAUTH_JWT_TIMESTAMP_CHECK_FAILED')) return 'id_token_expired';
  if (codes.has('OAUTH_JWT_CLAIM_COMPARISON_FAILED')) {
    return said('"nonce"') ? 'nonce_mismatch' : 'id_token_invalid';
  }
  if (codes.has('OAUTH_KEY_SELECTION_FAILED')) return 'id_token_signing_key_unknown';
  if (said('JWT signature verification failed')) return 'id_token_signature_invalid';
  // By name, not instanceof: fetch's errors may come from another realm than this module's.
  if (
    chain.some(
      (link) =>
        link.name === 'TimeoutError' ||
        link.name === 'AbortError' ||
        (link.name === 'TypeError' && link.message === 'fetch failed'),
    ) ||
    codes.has('OAUTH_RESPONSE_IS_NOT_CONFORM')
  ) {
    return 'idp_unavailable';
  }
  return 'id_token_invalid';
}

function stringClaim(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((group) => typeof group === 'string') : [];
}

/**
 * The OpenID Connect authorization code flow with PKCE, `state` and `nonce` (API.md, Single
 * sign-on). openid-client does the protocol: discovery, the code exchange, the ID token's
 * signature against the provider's keys, `iss`, `aud`, `exp` and `nonce`. This class keeps the
 * flow's state across instances, turns the verified identity into a user and a session, and
 * audits every failure with its reason. Nothing secret (code, state, token) is logged or audited.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger(SsoService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: SsoProviders,
    private readonly flows: SsoFlowStore,
    private readonly accounts: SsoAccounts,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
    private readonly audit: AuditWriter,
  ) {}

  listProviders(): { id: string; name: string }[] {
    return this.providers.list().map(({ id, name }) => ({ id, name }));
  }

  /** The provider's authorization URL to send the browser to. */
  async start(providerId: string, redirectUri: string): Promise<string> {
    const provider = await this.provider(providerId, 'start');
    if (!provider.redirectUris.includes(redirectUri)) {
      await this.fail('start', 'redirect_uri_not_allowed', provider.id);
      throw new SsoException(SsoErrorCode.RedirectUriNotAllowed);
    }
    const configuration = await this.configuration(provider, 'start');
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    await this.flows.savePendingSignIn(state, {
      provider: provider.id,
      nonce,
      codeVerifier,
      redirectUri,
    });
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.providers.callbackUrl(provider),
      scope: provider.scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    }).href;
  }

  /**
   * Finishes a sign-in at the provider's redirect; returns where to send the browser: the app's
   * `redirectUri` with a one-time code, or with an error once the state proved where to go.
   */
  async callback(providerId: string, query: Record<string, unknown>): Promise<string> {
    const provider = await this.provider(providerId, 'callback');
    const state = typeof query.state === 'string' ? query.state : '';
    const pending = state
      ? await this.flows.takePendingSignIn(state)
      : { kind: 'unknown' as const };
    if (pending.kind !== 'taken' || pending.value.provider !== provider.id) {
      await this.fail(
        'callback',
        pending.kind === 'replayed' ? 'state_replayed' : 'state_invalid',
        provider.id,
      );
      throw new SsoException(SsoErrorCode.InvalidState);
    }
    const { redirectUri, nonce, codeVerifier } = pending.value;
    const back = (parameter: 'code' | 'error', value: string) => {
      const url = new URL(redirectUri);
      url.searchParams.set(parameter, value);
      return url.href;
    };
    const currentUrl = new URL(this.providers.callbackUrl(provider));
    for (const [name, value] of Object.entries(query)) {
      if (typeof value === 'string') currentUrl.searchParams.set(name, value);
    }
    let claims: SsoClaims;
    try {
      const configuration = await this.providers.configuration(provider);
      const tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new Error('The token response has no ID token');
      claims = {
        sub: idToken.sub,
        email: stringClaim(idToken.email),
        emailVerified: idToken.email_verified === true,
        name: stringClaim(idToken.name),
        groups: groupsOf(idToken[provider.groupsClaim]),
      };
    } catch (error) {
      const reason = error instanceof SsoException ? 'idp_unavailable' : classify(error);
      // A token signed by a key not yet fetched: the next sign-in rediscovers the provider.
      if (reason === 'id_token_signing_key_unknown') this.providers.forget(provider);
      const detail = reason === 'idp_error' ? (error as { error?: string }).error : undefined;
      await this.fail('callback', reason, provider.id, detail ? { idpError: detail } : {});
      return back('error', reason === 'idp_error' && detail ? detail : publicError(reason));
    }
    try {
      const userId = await this.accounts.signIn(provider, claims);
      const code = randomToken(32);
      await this.flows.saveCode(code, { provider: provider.id, userId });
      return back('code', code);
    } catch (error) {
      if (!(error instanceof SsoRefusal)) throw error;
      await this.accounts.recordRefusedRoleChange(provider, error);
      await this.fail('callback', error.reason, provider.id, {}, error.userId);
      return back('error', publicError(error.reason));
    }
  }

  /** Exchanges a one-time code for a session like any other. */
  async exchange(code: string): Promise<TokenPair> {
    const taken = await this.flows.takeCode(code);
    if (taken.kind !== 'taken') {
      await this.fail(
        'exchange',
        taken.kind === 'replayed' ? 'code_replayed' : 'code_invalid',
        null,
      );
      throw new SsoException(SsoErrorCode.InvalidCode);
    }
    const { provider, userId } = taken.value;
    const pair = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lock(manager, userId);
      // Disabled in the minute since the callback: the code is spent and no session starts.
      if (user?.status !== UserStatus.Active) return null;
      const started = await this.sessions.start(manager, user);
      await this.audit.record(manager, {
        action: 'auth.sso_login_succeeded',
        resource: { type: 'user', id: user.id },
        actor: { type: 'user', id: user.id, display: user.email },
        metadata: { provider, step: 'exchange' },
      });
      return started;
    });
    if (!pair) {
      await this.fail('exchange', 'user_inactive', provider, {}, userId);
      throw new SsoException(SsoErrorCode.InvalidCode);
    }
    return pair;
  }

  private async provider(id: string, step: Step): Promise<SsoProviderConfig> {
    const provider = this.providers.get(id);
    if (!provider) {
      await this.fail(step, 'unknown_provider', null, { providerId: id.slice(0, 64) });
      throw new SsoException(SsoErrorCode.UnknownProvider);
    }
    return provider;
  }

  private async configuration(provider: SsoProviderConfig, step: Step) {
    try {
      return await this.providers.configuration(provider);
    } catch (error) {
      await this.fail(step, 'idp_unavailable', provider.id);
      throw error;
    }
  }

  private async fail(
    step: Step,
    reason: FailureReason,
    provider: string | null,
    metadata: Record<string, unknown> = {},
    userId: string | null = null,
  ): Promise<void> {
    this.logger.warn({ step, reason, provider }, 'Single sign-on failed');
    await this.audit.recordAlone({
      action: 'auth.sso_login_failed',
      resource: { type: 'user', id: userId },
      outcome: 'failure',
      metadata: { step, reason, provider, ...metadata },
    });
  }
}
