import { createHmac } from 'node:crypto';
import { createDecoder, createSigner } from 'fast-jwt';
import passport from 'passport';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';
import { ApiKeyStrategy } from '../src/auth/access/api-key.strategy';
import { ApplicationPassport } from '../src/auth/access/application-passport';
import { JwtAccessStrategy } from '../src/auth/access/jwt.strategy';
import { AppConfig } from '../src/config/app-config';
import { ShutdownDrain } from '../src/health/shutdown-drain.service';
import { clientOf, login, signedIn } from './support/factories';

describe('platform: errors, request ids, health, docs', () => {
  let env: TestEnvironment;
  let api: TestInstance;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
  });
  afterAll(() => env.close());

  it('answers an unknown route with problem+json 404 and a request id', async () => {
    const response = await api.http().get('/v1/no-such-route').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: 'https://bastion.dev/problems/not-found',
      status: 404,
      instance: '/v1/no-such-route',
      requestId: response.headers['x-request-id'],
    });
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const kept = await api
      .http()
      .get('/health/live')
      .set('x-request-id', 'abc.DEF-123_x')
      .expect(200);
    expect(kept.headers['x-request-id']).toBe('abc.DEF-123_x');
    const replaced = await api
      .http()
      .get('/health/live')
      .set('x-request-id', 'bad id!')
      .expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await api
      .http()
      .get('/health/live')
      .set('x-request-id', 'a'.repeat(129))
      .expect(200);
    expect(tooLong.headers['x-request-id']).not.toBe('a'.repeat(129));
  });

  it('rejects malformed JSON (400), other media types (415) and bodies over 1 MB (413)', async () => {
    const malformed = await api
      .http()
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(malformed.headers['content-type']).toMatch(/problem\+json/);
    expect(malformed.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    const form = await api
      .http()
      .post('/v1/auth/login')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send('email=a%40b.co&password=x')
      .expect(415);
    expect(form.body.status).toBe(415);
    const text = await api
      .http()
      .post('/v1/auth/login')
      .set('content-type', 'text/plain')
      .send('hi')
      .expect(415);
    expect(text.body.status).toBe(415);
    const huge = await api
      .http()
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(1024 * 1024 + 10) }))
      .expect(413);
    expect(huge.body.status).toBe(413);
  });

  it('lists one error per bad field and rejects unknown fields', async () => {
    const response = await api
      .http()
      .post('/v1/auth/login')
      .send({ email: 'not-an-email', password: 5, roles: ['admin'] })
      .expect(400);
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field).sort();
    expect(fields).toEqual(['email', 'password', 'roles']);
  });

  it('rejects query parameters and body fields a route does not take', async () => {
    const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const query = await api.http().get('/v1/auth/me?verbose=1').set(admin.auth).expect(400);
    expect(query.body.errors).toEqual([
      { field: 'verbose', message: 'is not an accepted query parameter' },
    ]);
    const body = await api
      .http()
      .post('/v1/auth/logout')
      .set(admin.auth)
      .send({ everywhere: true })
      .expect(400);
    expect(body.body.errors).toEqual([
      { field: 'everywhere', message: 'is not an accepted field' },
    ]);
    // Without a credential the answer is still 401: who is calling comes first.
    await api.http().get('/v1/auth/me?verbose=1').expect(401);
  });

  it('requires a credential on protected routes', async () => {
    const response = await api.http().get('/v1/auth/me').expect(401);
    expect(response.body.type).toBe('https://bastion.dev/problems/invalid-token');
    await api.http().get('/v1/auth/me').set('authorization', 'Bearer not-a-jwt').expect(401);
  });

  it('accepts only a valid access token, signed with the key, unexpired, for this API, as a bearer', async () => {
    const user = await signedIn(api);
    // Its own address: the refused tokens count as failed authentications.
    const client = clientOf(api);
    const sign = createSigner({ key: api.app.get(AppConfig).auth.jwtSecret, algorithm: 'HS256' });
    const claims = createDecoder()(user.accessToken) as { sub: string; sid: string };
    const access = {
      sub: claims.sub,
      sid: claims.sid,
      typ: 'access',
      iss: 'bastion',
      aud: 'bastion-api',
    };
    const encoded = (header: object, payload: object) =>
      [header, payload]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .join('.');
    const unsigned = (payload: object) => `${encoded({ alg: 'none', typ: 'JWT' }, payload)}.`;
    const secret = api.app.get(AppConfig).auth.jwtSecret;
    const signedWith = (algorithm: 'HS384' | 'HS512') =>
      createSigner({ key: secret, algorithm })(access);
    // An HMAC made with the key under a header naming an asymmetric algorithm (key confusion).
    const confused = (() => {
      const input = encoded({ alg: 'RS256', typ: 'JWT' }, access);
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    })();
    const refused = {
      'another scheme': `Basic ${user.accessToken}`,
      'no token': 'Bearer',
      'another key': `Bearer ${createSigner({ key: 'x'.repeat(48), algorithm: 'HS256' })(access)}`,
      expired: `Bearer ${sign({ ...access, exp: Math.floor(Date.now() / 1000) - 5 })}`,
      'not an access token': `Bearer ${sign({ ...access, typ: 'refresh' })}`,
      'alg none': `Bearer ${unsigned(access)}`,
      'alg none with a signature': `Bearer ${unsigned(access)}${sign(access).split('.')[2]}`,
      'HS384 with the key': `Bearer ${signedWith('HS384')}`,
      'HS512 with the key': `Bearer ${signedWith('HS512')}`,
      'RS256 header over an HMAC with the key': `Bearer ${confused}`,
      'no issuer': `Bearer ${sign({ ...access, iss: undefined })}`,
      'another issuer': `Bearer ${sign({ ...access, iss: 'another-service' })}`,
      'no audience': `Bearer ${sign({ ...access, aud: undefined })}`,
      'another audience': `Bearer ${sign({ ...access, aud: 'another-api' })}`,
    };
    for (const [reason, authorization] of Object.entries(refused)) {
      const response = await client.get('/v1/auth/me').set('authorization', authorization);
      expect({ reason, status: response.status, type: response.body.type }).toEqual({
        reason,
        status: 401,
        type: 'https://bastion.dev/problems/invalid-token',
      });
    }
    // The scheme is case-insensitive (RFC 7235); the same claims re-signed with the key pass.
    await client.get('/v1/auth/me').set('authorization', `bearer ${user.accessToken}`).expect(200);
    await client
      .get('/v1/auth/me')
      .set('authorization', `Bearer ${sign(access)}`)
      .expect(200);
  });

  it('registers the strategies once per application, so that two in one process keep apart', async () => {
    const other = await env.start({ JWT_SECRET: 'o'.repeat(48) });
    const registered = (registry: object) =>
      (registry as { _strategies: Record<string, unknown> })._strategies;
    const strategiesOf = (instance: TestInstance) =>
      registered(instance.app.get(ApplicationPassport));
    for (const instance of [api, other]) {
      // `session` is passport's own, registered by every registry and never asked for here.
      expect(Object.keys(strategiesOf(instance)).sort()).toEqual(['api-key', 'jwt', 'session']);
      expect(strategiesOf(instance).jwt).toBe(instance.app.get(JwtAccessStrategy));
      expect(strategiesOf(instance)['api-key']).toBe(instance.app.get(ApiKeyStrategy));
    }
    expect(strategiesOf(other).jwt).not.toBe(strategiesOf(api).jwt);
    // Nothing lands in the process-wide registry, where the last application would win.
    expect(Object.keys(registered(passport))).toEqual(['session']);

    const here = await signedIn(api);
    const there = await signedIn(other);
    const me = (instance: TestInstance, user: { auth: Record<string, string> }) =>
      clientOf(instance).get('/v1/auth/me').set(user.auth);
    expect((await me(api, here)).status).toBe(200);
    expect((await me(other, there)).status).toBe(200);
    // Each verifies with its own key and resolves against its own database.
    expect((await me(api, there)).status).toBe(401);
    expect((await me(other, here)).status).toBe(401);
    await other.close();
    expect((await me(api, here)).status).toBe(200);
  });

  it('reports liveness and readiness', async () => {
    await api.http().get('/health/live').expect(200, { status: 'ok' });
    const ready = await api.http().get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.info.database.status).toBe('up');
  });

  it('drains before shutdown, then stops listening without resetting a request', async () => {
    const stopping = await env.start();
    // fetch keeps connections alive, as a real client does (supertest asks to close each one).
    const get = (path: string) => fetch(`${stopping.url}${path}`);
    try {
      const before = await get('/health/ready');
      expect(before.status).toBe(200);
      expect(before.headers.get('connection')).toBe('keep-alive');
      const drain = stopping.app.get(ShutdownDrain);
      const drained = drain.run(60_000);
      const ready = await get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await ready.json()) as { type: string }).type).toBe(
        'https://bastion.dev/problems/shutting-down',
      );
      expect(ready.headers.get('connection')).toBe('close');
      const live = await get('/health/live');
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      expect(live.headers.get('connection')).toBe('close');
      drain.end();
      await drained;

      // Then it stops listening: a request arriving meanwhile is held and answered 503 once the
      // listener is closed; the next connection is refused.
      const closing = drain.stopListening();
      const held = await get('/health/live');
      expect(held.status).toBe(503);
      expect(((await held.json()) as { type: string }).type).toBe(
        'https://bastion.dev/problems/shutting-down',
      );
      await closing;
      await expect(get('/health/live')).rejects.toMatchObject({
        cause: { code: 'ECONNREFUSED' },
      });
    } finally {
      await stopping.close();
    }
    // Only the instance told to stop drains.
    await api.http().get('/health/ready').expect(200);
  });

  it('sets security headers', async () => {
    const response = await api.http().get('/health/live').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
  });

  it('sets the same security headers on errors, with the CSP Swagger UI needs', async () => {
    const problem = await api.http().get('/no-such-route').expect(404);
    expect(problem.headers['x-content-type-options']).toBe('nosniff');
    expect(problem.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(problem.headers['content-security-policy']).toContain(
      "style-src 'self' 'unsafe-inline'",
    );
    expect(problem.headers['content-security-policy']).toContain("img-src 'self' data:");
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const document = await api.http().get('/docs/openapi.json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(document.body.paths['/v1/auth/me'].get['x-permissions']).toEqual([]);
    await api.http().get('/docs').expect(200);
  });

  it('exposes Prometheus metrics by route pattern', async () => {
    const admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    await api.http().get('/v1/auth/me').set(admin.auth).expect(200);
    const metrics = await api.http().get('/metrics').expect(200);
    expect(metrics.text).toContain(
      'bastion_http_requests_total{method="GET",route="/v1/auth/me",status="200"}',
    );
    expect(metrics.text).toContain('bastion_http_request_duration_seconds_bucket');
    expect(metrics.text).toContain('bastion_nodejs_eventloop_lag_seconds');
    expect(metrics.text).toContain('bastion_db_pool_connections');
  });

  it('never mixes up concurrent callers: each request sees its own identity', async () => {
    const callers = await Promise.all([
      signedIn(api, ['customer']),
      signedIn(api, ['manager']),
      signedIn(api, ['auditor']),
      signedIn(api, ['customer']),
    ]);
    const requests = Array.from({ length: 40 }, (_, index) => callers[index % callers.length]);
    const answers = await Promise.all(
      requests.map(async (caller) => {
        const response = await api.http().get('/v1/auth/me').set(caller.auth).timeout(10_000);
        return { expected: caller.id, status: response.status, seen: response.body.user?.id };
      }),
    );
    for (const answer of answers) {
      expect(answer).toEqual({ expected: answer.expected, status: 200, seen: answer.expected });
    }
  });

  it('limits each caller across all routes together (RATE_LIMIT_MAX per caller)', async () => {
    const limited = await env.start({ RATE_LIMIT_MAX: '4' });
    const caller = await signedIn(limited, ['customer']);
    await limited.http().get('/v1/auth/me').set(caller.auth).expect(200);
    await limited.http().get(`/v1/users/${caller.id}`).set(caller.auth).expect(200);
    await limited.http().get('/v1/auth/me').set(caller.auth).expect(200);
    await limited.http().get(`/v1/users/${caller.id}`).set(caller.auth).expect(200);
    const refused = await limited.http().get('/v1/auth/me').set(caller.auth).expect(429);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another caller has a window of its own.
    const other = await signedIn(limited, ['customer']);
    await limited.http().get('/v1/auth/me').set(other.auth).expect(200);
    await limited.close();
  });

  it('gives each API key a window of its own, apart from its creator’s', async () => {
    const limited = await env.start({ RATE_LIMIT_MAX: '3' });
    // An address of its own: other tests' failed authentications from 127.0.0.1 count in Redis.
    const client = clientOf(limited);
    const admin = await signedIn(limited, ['admin']);
    const newKey = async () => {
      const created = await client
        .post('/v1/api-keys')
        .set(admin.auth)
        .send({ name: 'limited', permissions: ['users:read'] })
        .expect(201);
      return { 'x-api-key': created.body.key as string };
    };
    const key = await newKey();
    const otherKey = await newKey();
    for (let request = 0; request < 3; request++) {
      await client.get('/v1/users').set(key).expect(200);
    }
    const refused = await client.get('/v1/users').set(key).expect(429);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    await client.get('/v1/users').set(otherKey).expect(200);
    await client.get('/v1/auth/me').set(admin.auth).expect(200);
    await limited.close();
  });

  it('never lets a wrong secret under a real key’s prefix use up the key’s window', async () => {
    const limited = await env.start({ RATE_LIMIT_MAX: '3' });
    const admin = await signedIn(limited, ['admin']);
    const created = await clientOf(limited)
      .post('/v1/api-keys')
      .set(admin.auth)
      .send({ name: 'targeted', permissions: ['users:read'] })
      .expect(201);
    const key = created.body.key as string;
    const wrongSecret = `bst_${created.body.prefix}_${'w'.repeat(43)}`;
    expect(wrongSecret).not.toBe(key);
    const attacker = clientOf(limited);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      statuses.push((await attacker.get('/v1/users').set('x-api-key', wrongSecret)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // The key's holder still has its whole window, from any other address.
    const holder = clientOf(limited);
    for (let request = 0; request < 3; request++) {
      await holder.get('/v1/users').set('x-api-key', key).expect(200);
    }
    await holder.get('/v1/users').set('x-api-key', key).expect(429);
    await limited.close();
  });

  it('lets credential routes take CREDENTIAL_RATE_LIMIT_MAX requests per caller (default 20)', async () => {
    const refreshes = async (instance: TestInstance, times: number) => {
      const client = clientOf(instance);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < times; attempt++) {
        const response = await client
          .post('/v1/auth/refresh')
          .send({ refreshToken: 'not-a-refresh-token' });
        statuses.push(response.status);
      }
      return statuses;
    };
    const byDefault = await refreshes(api, 21);
    expect(byDefault.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(byDefault[20]).toBe(429);
    const raised = await env.start({ CREDENTIAL_RATE_LIMIT_MAX: '30' });
    const statuses = await refreshes(raised, 31);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses[30]).toBe(429);
    await raised.close();
  });

  it('answers 429 to an address that keeps presenting invalid credentials', async () => {
    const limited = await env.start({ RATE_LIMIT_MAX: '3' });
    const client = clientOf(limited);
    const bogusKey = `bst_${'A'.repeat(12)}_${'b'.repeat(43)}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      await client.get('/v1/auth/me').set('x-api-key', bogusKey).expect(401);
    }
    const refused = await client.get('/v1/auth/me').set('x-api-key', bogusKey).expect(429);
    expect(refused.body.type).toBe('https://bastion.dev/problems/too-many-failed-authentications');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await client.get('/v1/auth/me').set('authorization', 'Bearer forged').expect(429);
    // Other addresses are not affected.
    await clientOf(limited).get('/v1/auth/me').set('x-api-key', bogusKey).expect(401);
    await limited.close();
  });

  it('serves /me for a signed-in customer with effective permissions', async () => {
    const customer = await signedIn(api, ['customer']);
    const me = await api.http().get('/v1/auth/me').set(customer.auth).expect(200);
    expect(me.body.roles).toEqual(['customer']);
    expect(me.body.permissions).toContain('orders:read:own');
    expect(me.body.permissions).not.toContain('orders:read:any');
  });
});
