import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { auditText, errorFields, newUser } from './support/factories';
import { signInAtIdp, TestIdp } from './support/oidc-idp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

const PROBLEMS = 'https://bastion.dev/problems/';
/** What the providers call back to; the test carries each callback to the instance it picks. */
const PUBLIC_URL = 'http://bastion.test';
const APP = 'https://app.example/sso/done';

interface AuditRow {
  action: string;
  outcome: string;
  actor_type: string;
  resource_id: string | null;
  metadata: Record<string, unknown>;
  changes: { before: unknown; after: unknown } | null;
}

describe('single sign-on (OpenID Connect) against a real identity provider', () => {
  let idp: TestIdp;
  let env: TestEnvironment;
  let api: TestInstance;
  let ssoProviders: string;
  /** Codes, states and tokens seen in the flow: none of them may reach the audit log. */
  const secrets: string[] = [];

  function providersJson(issuer: string): string {
    const common = {
      issuer,
      clientId: 'bastion',
      clientSecret: 'bastion-client-secret',
      redirectUris: [APP],
      groupsClaim: 'groups',
    };
    return JSON.stringify([
      {
        ...common,
        id: 'corp',
        name: 'Corp SSO',
        roleMap: {
          'corp-auditors': ['auditor'],
          'corp-managers': ['manager'],
          'corp-admins': ['admin'],
        },
      },
      {
        ...common,
        id: 'linking',
        name: 'Linking SSO',
        roleMap: { 'corp-auditors': ['auditor'], 'corp-customers': ['customer'] },
        linkVerifiedEmail: true,
      },
    ]);
  }

  /** Every instance alike: many sign-ins from one address must not meet the credential limit. */
  function settings(extra: Record<string, string> = {}): Record<string, string> {
    return { SSO_PROVIDERS: ssoProviders, PUBLIC_URL, CREDENTIAL_RATE_LIMIT_MAX: '1000', ...extra };
  }

  beforeAll(async () => {
    idp = await TestIdp.start(PUBLIC_URL);
    env = await TestEnvironment.create();
    ssoProviders = providersJson(idp.issuer);
    api = await env.start(settings());
  });
  afterAll(async () => {
    await env.close();
    await idp.stop();
  });

  async function newIdpUser(groups: string[], extra: { email?: string; verified?: boolean } = {}) {
    const sub = `sub-${randomUUID()}`;
    const email = extra.email ?? `${sub}@corp.example`;
    await idp.upsertUser({
      sub,
      email,
      email_verified: extra.verified ?? true,
      name: 'Corp Person',
      groups,
    });
    return { sub, email };
  }

  /** `start` on an instance; returns the provider's authorization URL. */
  async function start(instance: TestInstance, provider = 'corp'): Promise<string> {
    const response = await instance
      .http()
      .get(`/v1/auth/sso/${provider}/start`)
      .query({ redirectUri: APP })
      .expect(302);
    const location = new URL(response.headers.location);
    expect(location.origin).toBe(idp.issuer);
    secrets.push(location.searchParams.get('state')!);
    return location.href;
  }

  /** The provider's redirect back, carried to `instance`; returns where Bastion sends the browser. */
  async function callback(instance: TestInstance, back: URL): Promise<URL> {
    expect(back.origin).toBe(PUBLIC_URL);
    secrets.push(back.searchParams.get('code')!);
    const response = await instance
      .http()
      .get(back.pathname + back.search)
      .expect(302);
    return new URL(response.headers.location);
  }

  function exchange(instance: TestInstance, code: string) {
    return instance.http().post('/v1/auth/sso/exchange').send({ code });
  }

  /** The whole flow; `via` lets each step run on another instance. */
  async function signIn(login: string, provider = 'corp', via: TestInstance[] = [api]) {
    const [first, second = first, third = second] = via;
    const back = await signInAtIdp(await start(first, provider), login);
    const toApp = await callback(second, back);
    expect(toApp.origin + toApp.pathname).toBe(APP);
    const code = toApp.searchParams.get('code');
    if (!code) return { error: toApp.searchParams.get('error'), tokens: null };
    secrets.push(code);
    const response = await exchange(third, code).expect(200);
    secrets.push(response.body.accessToken, response.body.refreshToken);
    return {
      error: null,
      code,
      tokens: response.body as { accessToken: string; refreshToken: string },
    };
  }

  function me(accessToken: string) {
    return api.http().get('/v1/auth/me').set('authorization', `Bearer ${accessToken}`);
  }

  async function events(action: string): Promise<AuditRow[]> {
    return api.dataSource.query(
      `SELECT action, outcome, actor_type, resource_id, metadata, changes FROM audit_events
        WHERE action = $1 ORDER BY occurred_at, id`,
      [action],
    );
  }

  async function lastFailure(): Promise<Record<string, unknown>> {
    const failures = await events('auth.sso_login_failed');
    return failures[failures.length - 1].metadata;
  }

  async function adminToken(): Promise<string> {
    const response = await api
      .http()
      .post('/v1/auth/login')
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
      .expect(200);
    return response.body.accessToken as string;
  }

  it('lists the configured providers publicly', async () => {
    const response = await api.http().get('/v1/auth/sso/providers').expect(200);
    expect(response.body).toEqual([
      { id: 'corp', name: 'Corp SSO' },
      { id: 'linking', name: 'Linking SSO' },
    ]);
  });

  it('sends the browser to the provider with PKCE, state and nonce', async () => {
    const url = new URL(await start(api));
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'bastion',
      response_type: 'code',
      redirect_uri: `${PUBLIC_URL}/v1/auth/sso/corp/callback`,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.any(String),
      nonce: expect.any(String),
      scope: 'openid email profile',
    });
  });

  describe('identity and roles', () => {
    it('creates a user just in time with the roles its groups map to, and a normal session', async () => {
      const person = await newIdpUser(['corp-auditors', 'unmapped-group']);
      const { tokens } = await signIn(person.sub);
      const whoami = await me(tokens!.accessToken).expect(200);
      expect(whoami.body).toMatchObject({ user: { email: person.email }, roles: ['auditor'] });
      const userId = whoami.body.user.id as string;
      const [identity] = await api.dataSource.query(
        'SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2',
        ['corp', person.sub],
      );
      expect(identity.user_id).toBe(userId);
      const [row] = await api.dataSource.query('SELECT password_hash FROM users WHERE id = $1', [
        userId,
      ]);
      expect(row.password_hash).toBeNull();
      const created = (await events('user.created')).find((event) => event.resource_id === userId);
      expect(created).toMatchObject({
        actor_type: 'system',
        metadata: { reason: 'sso', provider: 'corp' },
      });
      const succeeded = (await events('auth.sso_login_succeeded')).filter(
        (e) => e.resource_id === userId,
      );
      expect(succeeded.map((event) => event.metadata.step)).toEqual(['callback', 'exchange']);

      // The session refreshes and logs out like a password login's.
      const refreshed = await api
        .http()
        .post('/v1/auth/refresh')
        .send({ refreshToken: tokens!.refreshToken })
        .expect(200);
      secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
      await api
        .http()
        .post('/v1/auth/logout')
        .set('authorization', `Bearer ${refreshed.body.accessToken}`)
        .expect(204);
      await me(refreshed.body.accessToken).expect(401);
    });

    it('re-applies the groups at every sign-in: a removed group removes its role, audited by system', async () => {
      const person = await newIdpUser(['corp-auditors', 'corp-managers']);
      const first = await signIn(person.sub);
      const userId = (await me(first.tokens!.accessToken).expect(200)).body.user.id as string;
      expect((await me(first.tokens!.accessToken)).body.roles).toEqual(['auditor', 'manager']);

      await idp.upsertUser({ sub: person.sub, email: person.email, groups: ['corp-auditors'] });
      const second = await signIn(person.sub);
      expect((await me(second.tokens!.accessToken).expect(200)).body.roles).toEqual(['auditor']);
      // The earlier session's access token carries no roles: it loses the role at once too.
      expect((await me(first.tokens!.accessToken).expect(200)).body.roles).toEqual(['auditor']);
      const changed = (await events('user.roles_changed')).filter((e) => e.resource_id === userId);
      expect(changed).toEqual([
        expect.objectContaining({
          outcome: 'success',
          actor_type: 'system',
          changes: { before: { roles: ['auditor', 'manager'] }, after: { roles: ['auditor'] } },
          metadata: { provider: 'corp', added: [], removed: ['manager'] },
        }),
      ]);
    });

    it('keeps a role given by hand that the provider does not manage', async () => {
      const person = await newIdpUser([]);
      const first = await signIn(person.sub);
      const userId = (await me(first.tokens!.accessToken).expect(200)).body.user.id as string;
      await api
        .http()
        .put(`/v1/users/${userId}/roles`)
        .set('authorization', `Bearer ${await adminToken()}`)
        .send({ roles: ['customer'] })
        .expect(200);
      const again = await signIn(person.sub);
      expect((await me(again.tokens!.accessToken).expect(200)).body.roles).toEqual(['customer']);
    });

    it('does not link to a password user with the same email unless the provider allows it', async () => {
      const existing = await newUser(api.dataSource, {
        email: `taken-${randomUUID()}@corp.example`,
      });
      const person = await newIdpUser(['corp-auditors'], { email: existing.email });
      const result = await signIn(person.sub, 'corp');
      expect(result.error).toBe('account_unavailable');
      expect(await lastFailure()).toMatchObject({ step: 'callback', reason: 'email_taken' });
    });

    it('does not link on an email the provider has not verified', async () => {
      const existing = await newUser(api.dataSource, {
        email: `unverified-${randomUUID()}@corp.example`,
      });
      const person = await newIdpUser([], { email: existing.email, verified: false });
      expect((await signIn(person.sub, 'linking')).error).toBe('account_unavailable');
      expect(await lastFailure()).toMatchObject({ reason: 'email_taken', provider: 'linking' });
    });

    it('links a verified email to the existing password user when the provider allows it', async () => {
      const existing = await newUser(api.dataSource, {
        email: `linked-${randomUUID()}@corp.example`,
      });
      const person = await newIdpUser(['corp-auditors', 'corp-customers'], {
        email: existing.email,
      });
      const { tokens } = await signIn(person.sub, 'linking');
      const whoami = await me(tokens!.accessToken).expect(200);
      expect(whoami.body.user.id).toBe(existing.id);
      expect(whoami.body.roles).toEqual(['auditor', 'customer']);
      const linked = (await events('user.identity_linked')).find(
        (e) => e.resource_id === existing.id,
      );
      expect(linked).toMatchObject({ actor_type: 'system', metadata: { provider: 'linking' } });
      // Found by (provider, sub) from now on, whatever the email says.
      await idp.upsertUser({ sub: person.sub, email: `renamed-${person.email}`, groups: [] });
      const again = await signIn(person.sub, 'linking');
      expect((await me(again.tokens!.accessToken).expect(200)).body.user.id).toBe(existing.id);
    });

    it('refuses to link a user who holds more than the provider can grant (the grant rule)', async () => {
      const manager = await newUser(api.dataSource, {
        email: `manager-${randomUUID()}@corp.example`,
        roles: ['manager'],
      });
      const person = await newIdpUser(['corp-auditors'], { email: manager.email });
      expect((await signIn(person.sub, 'linking')).error).toBe('account_unavailable');
      expect(await lastFailure()).toMatchObject({ reason: 'link_exceeds_provider' });
      const [identity] = await api.dataSource.query(
        'SELECT 1 FROM user_identities WHERE subject = $1',
        [person.sub],
      );
      expect(identity).toBeUndefined();
    });

    it('refuses a sign-in whose role change would remove the last admin, and audits both', async () => {
      const person = await newIdpUser(['corp-admins']);
      const first = await signIn(person.sub);
      const ssoAdmin = first.tokens!.accessToken;
      const userId = (await me(ssoAdmin).expect(200)).body.user.id as string;
      const bootstrap = (await me(await adminToken()).expect(200)).body.user.id as string;
      await api
        .http()
        .post(`/v1/users/${bootstrap}/disable`)
        .set('authorization', `Bearer ${ssoAdmin}`)
        .expect(200);
      try {
        await idp.upsertUser({ sub: person.sub, email: person.email, groups: [] });
        expect((await signIn(person.sub)).error).toBe('account_unavailable');
        expect(await lastFailure()).toMatchObject({ reason: 'last_admin' });
        const refused = (await events('user.roles_changed')).filter(
          (e) => e.resource_id === userId && e.outcome === 'failure',
        );
        expect(refused).toEqual([
          expect.objectContaining({
            actor_type: 'system',
            metadata: expect.objectContaining({ reason: 'last_admin', removed: ['admin'] }),
          }),
        ]);
        expect((await me(ssoAdmin).expect(200)).body.roles).toEqual(['admin']);
      } finally {
        await api
          .http()
          .post(`/v1/users/${bootstrap}/enable`)
          .set('authorization', `Bearer ${ssoAdmin}`)
          .expect(200);
      }
    });

    it('refuses a user disabled in Bastion', async () => {
      const person = await newIdpUser([]);
      const first = await signIn(person.sub);
      const userId = (await me(first.tokens!.accessToken).expect(200)).body.user.id as string;
      await api
        .http()
        .post(`/v1/users/${userId}/disable`)
        .set('authorization', `Bearer ${await adminToken()}`)
        .expect(200);
      expect((await signIn(person.sub)).error).toBe('account_unavailable');
      expect(await lastFailure()).toMatchObject({ reason: 'user_inactive' });
    });
  });

  describe('failures are explicit and audited', () => {
    it('unknown provider: 404 at start and at the callback', async () => {
      const startResponse = await api
        .http()
        .get('/v1/auth/sso/nope/start')
        .query({ redirectUri: APP })
        .expect(404);
      expect(startResponse.body.type).toBe(`${PROBLEMS}sso-provider-not-found`);
      expect(await lastFailure()).toMatchObject({ step: 'start', reason: 'unknown_provider' });
      await api.http().get('/v1/auth/sso/nope/callback?code=x&state=y').expect(404);
      expect(await lastFailure()).toMatchObject({ step: 'callback', reason: 'unknown_provider' });
    });

    it('disallowed redirectUri: 400 naming the field', async () => {
      const response = await api
        .http()
        .get('/v1/auth/sso/corp/start')
        .query({ redirectUri: 'https://evil.example/steal' })
        .expect(400);
      expect(errorFields(response.body)).toEqual(['redirectUri']);
      expect(await lastFailure()).toMatchObject({ reason: 'redirect_uri_not_allowed' });
    });

    it('wrong state: 400, nothing exchanged', async () => {
      const person = await newIdpUser([]);
      const back = await signInAtIdp(await start(api), person.sub);
      back.searchParams.set('state', 'a-state-bastion-never-issued');
      const response = await api
        .http()
        .get(back.pathname + back.search)
        .expect(400);
      expect(response.body.type).toBe(`${PROBLEMS}invalid-sso-state`);
      expect(await lastFailure()).toMatchObject({ reason: 'state_invalid' });
    });

    it('replayed state: the second callback is 400', async () => {
      const person = await newIdpUser([]);
      const back = await signInAtIdp(await start(api), person.sub);
      await callback(api, back);
      await api
        .http()
        .get(back.pathname + back.search)
        .expect(400);
      expect(await lastFailure()).toMatchObject({ reason: 'state_replayed' });
    });

    it.each([
      ['nonce', 'nonce_mismatch'],
      ['expired', 'id_token_expired'],
      ['forged', 'id_token_signature_invalid'],
    ] as const)(
      'ID token with a %s problem: back to the app with an error',
      async (mode, reason) => {
        const person = await newIdpUser(['corp-auditors']);
        await idp.setTamper(mode);
        try {
          expect((await signIn(person.sub)).error).toBe('invalid_id_token');
        } finally {
          await idp.setTamper('none');
        }
        expect(await lastFailure()).toMatchObject({ step: 'callback', reason });
        const [identity] = await api.dataSource.query(
          'SELECT 1 FROM user_identities WHERE subject = $1',
          [person.sub],
        );
        expect(identity).toBeUndefined();
      },
    );

    it('a code exchanged twice: the second exchange is 401', async () => {
      const person = await newIdpUser([]);
      const { code } = await signIn(person.sub);
      const again = await exchange(api, code!).expect(401);
      expect(again.body.type).toBe(`${PROBLEMS}invalid-sso-code`);
      expect(await lastFailure()).toMatchObject({ step: 'exchange', reason: 'code_replayed' });
      await exchange(api, 'never-issued').expect(401);
      expect(await lastFailure()).toMatchObject({ reason: 'code_invalid' });
    });

    it('an IdP that is down: 503 with Retry-After at start, an error at the callback, readiness unaffected', async () => {
      const person = await newIdpUser([]);
      const back = await signInAtIdp(await start(api), person.sub);
      const fresh = await env.start(settings());
      await idp.setDown(true);
      try {
        const toApp = await callback(api, back);
        expect(toApp.searchParams.get('error')).toBe('temporarily_unavailable');
        expect(await lastFailure()).toMatchObject({ step: 'callback', reason: 'idp_unavailable' });

        const refused = await fresh
          .http()
          .get('/v1/auth/sso/corp/start')
          .query({ redirectUri: APP })
          .expect(503);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.headers['retry-after']).toBe('30');
        expect(refused.body.type).toBe(`${PROBLEMS}sso-provider-unavailable`);
        await fresh.http().get('/health/ready').expect(200);
      } finally {
        await idp.setDown(false);
      }
      // Discovery failures are not kept: the provider is tried again once it is back.
      await fresh.http().get('/v1/auth/sso/corp/start').query({ redirectUri: APP }).expect(302);
      await fresh.close();
    });

    it('no code, state or token reaches the audit log', async () => {
      const text = await auditText(api.dataSource);
      for (const secret of secrets.filter(Boolean)) expect(text).not.toContain(secret);
    });
  });

  it('follows a key rotation at the provider', async () => {
    const person = await newIdpUser(['corp-auditors']);
    await signIn(person.sub);
    await idp.rotateKeys();
    // openid-client fetches the keys again for a token signed by an unknown key once the copy it
    // holds is a minute old; the clock moves on instead of the test waiting for it.
    jest.useFakeTimers({
      now: Date.now() + 61_000,
      advanceTimers: true,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    try {
      const { tokens, error } = await signIn(person.sub);
      expect(error).toBeNull();
      await me(tokens!.accessToken).expect(200);
    } finally {
      jest.useRealTimers();
    }
  });

  it('finishes a sign-in that started on another instance (shared flow state)', async () => {
    if (!process.env.REDIS_URL) return; // embedded instances share no store: one instance only
    const other = await env.start(settings());
    const person = await newIdpUser(['corp-auditors']);
    const { tokens } = await signIn(person.sub, 'corp', [api, other, api]);
    await me(tokens!.accessToken).expect(200);
    await other.close();
  });

  describe('SSO_ONLY', () => {
    it('turns password login off for everyone but the bootstrap admin', async () => {
      const only = await env.start(settings({ SSO_ONLY: 'true' }));
      const user = await newUser(only.dataSource);
      const refused = await request(only.url)
        .post('/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(403);
      expect(refused.body.type).toBe(`${PROBLEMS}password-login-disabled`);
      await request(only.url)
        .post('/v1/auth/login')
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
        .expect(200);
      await only.close();
    });
  });
});
