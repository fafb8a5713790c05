// A real OpenID Provider (oidc-provider) for the SSO e2e tests, run as a child process on a
// loopback port. Users, groups, key rotation, outages and tampered ID tokens are set by the test
// over /__admin; people sign in at /interaction/<uid> with a form, as they would in a browser.
import { createServer } from 'node:http';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const CALLBACK_ORIGIN = process.env.CALLBACK_ORIGIN ?? 'http://bastion.test';
const CLIENT = {
  client_id: 'bastion',
  client_secret: 'bastion-client-secret',
  redirect_uris: ['corp', 'linking'].map((id) => `${CALLBACK_ORIGIN}/v1/auth/sso/${id}/callback`),
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_post',
};

const users = new Map();
let signingKey;
let provider;
let down = false;
/** none | expired | forged | nonce: how the next ID tokens are altered after signing. */
let tamper = 'none';

async function newSigningKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `key-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, alg: 'RS256', use: 'sig' };
}

async function resign(idToken) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (tamper === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  if (tamper === 'nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  const jwk = tamper === 'forged' ? await newSigningKey() : signingKey;
  // A forger copies the real key's id: only the signature can tell the token apart.
  return new SignJWT(claims).setProtectedHeader({ ...header, kid: signingKey.kid }).sign(await importJWK(jwk, 'RS256'));
}

function buildProvider(issuer) {
  const oidc = new Provider(issuer, {
    clients: [CLIENT],
    jwks: { keys: [signingKey] },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...user }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['bastion-test-idp-cookie-key'] },
  });
  oidc.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && tamper !== 'none' && ctx.body?.id_token) {
      ctx.body = { ...ctx.body, id_token: await resign(ctx.body.id_token) };
    }
  });
  return oidc;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function admin(req, res, issuer) {
  const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
  switch (req.url) {
    case '/__admin/users':
      users.set(body.sub, { email: body.email, email_verified: body.email_verified ?? true, name: body.name, groups: body.groups ?? [] });
      return json(res, 200, { ok: true });
    case '/__admin/rotate':
      signingKey = await newSigningKey();
      provider = buildProvider(issuer);
      return json(res, 200, { kid: signingKey.kid });
    case '/__admin/down':
      down = body.down === true;
      return json(res, 200, { down });
    case '/__admin/tamper':
      tamper = body.mode;
      return json(res, 200, { tamper });
    default:
      return json(res, 404, {});
  }
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end(`<form method="post" action="/interaction/${uid}/login"><input name="login"><button>Sign in</button></form>`);
  }
  const login = new URLSearchParams(await readBody(req)).get('login');
  if (!users.has(login)) {
    res.writeHead(401, { 'content-type': 'text/plain' });
    return res.end('unknown user');
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

signingKey = await newSigningKey();
const server = createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/__admin/')) return await admin(req, res, issuer);
    if (down) return req.socket.destroy();
    const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url);
    if (match) return await interaction(req, res, match[1]);
    return provider.callback()(req, res);
  } catch (error) {
    json(res, 500, { error: String(error) });
  }
});
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
provider = buildProvider(issuer);
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
