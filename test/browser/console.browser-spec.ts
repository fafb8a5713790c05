import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { AuditSealer } from '../../src/audit/chain/audit-sealer.service';
import { CONSOLE_CSP } from '../../src/bootstrap/console-static';
import { clientOf, newOrder, newUser, Session, TestUser } from '../support/factories';
import { TestIdp } from '../support/oidc-idp';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from '../support/test-app';
import {
  enableMfa,
  freshCode,
  wrongCode,
  launchChromium,
  screenshot,
  seriousViolations,
} from './browser-support';

const SESSION_KEY = 'bastion.console.session';
// The browser signs in several times from one address; login throttling is not what this tests.
const SERVER_ENV = { CREDENTIAL_RATE_LIMIT_MAX: '200' };

/** A loopback port free right now, for a server whose URL must be known before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Writes what an ops engineer would look for: a customer poking at staff routes (enough events
 * to page through), orders, and staff changes with their before and after.
 */
async function writeActivity(api: TestInstance, admin: Session): Promise<void> {
  const customer = await newUser(api.dataSource, { name: 'Curious Customer' });
  const shopper = await clientOf(api).login(customer);
  for (let attempt = 0; attempt < 30; attempt += 1) {
    for (const path of ['/v1/users', '/v1/roles', '/v1/audit-events']) {
      await api.http().get(path).set(shopper.auth).expect(403);
    }
  }
  const kept = await newOrder(api, shopper.auth);
  const cancelled = await newOrder(api, shopper.auth, {
    items: [{ sku: 'SKU-7', name: 'Cable', quantity: 1, unitPrice: 990 }],
  });
  await api
    .http()
    .post(`/v1/orders/${cancelled.id}/cancel`)
    .set(shopper.auth)
    .set('if-match', `"${cancelled.version}"`)
    .send({})
    .expect(200);
  await api.http().get(`/v1/orders/${kept.id}`).set(shopper.auth).expect(200);

  const client = clientOf(api);
  for (const name of ['Dana Ortiz', 'Lee Okafor', 'Sam Reyes']) {
    const created = await client
      .post('/v1/users')
      .set(admin.auth)
      .send({
        email: `${name.toLowerCase().replace(' ', '.')}-${randomUUID().slice(0, 4)}@example.com`,
        name,
        password: 'correct-horse-battery-staple-9',
      })
      .expect(201);
    const id = created.body.id as string;
    await api
      .http()
      .patch(`/v1/users/${id}`)
      .set(admin.auth)
      .set('if-match', created.headers.etag)
      .send({ name: `${name} (Finance)` })
      .expect(200);
    await api
      .http()
      .put(`/v1/users/${id}/roles`)
      .set(admin.auth)
      .send({ roles: ['manager'] })
      .expect(200);
  }
}

describe('ops console in Chromium', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let auditor: TestUser;
  let secret: string;
  let adminId: string;
  const used = new Set<string>();
  const foreignRequests: string[] = [];
  const cspErrors: string[] = [];
  const pageErrors: string[] = [];

  async function checkpointHead(): Promise<number> {
    const sealer = api.app.get(AuditSealer);
    await sealer.seal();
    await sealer.checkpoint();
    const [row] = await api.dataSource.query('SELECT max(seq) AS seq FROM audit_checkpoints');
    return Number(row.seq);
  }

  /** Rows of the events table: [time, seq, action, outcome, actor, resource, request]. */
  async function rows(): Promise<string[][]> {
    await page.locator('table.events tbody tr').first().waitFor();
    return page.evaluate<string[][]>(`Array.from(
      document.querySelectorAll('table.events tbody tr'),
      (tr) => Array.from(tr.cells, (cell) => cell.textContent.trim()),
    )`);
  }

  function watch(target: Page): void {
    target.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(api.url) && !/^(data|blob):/.test(url)) foreignRequests.push(url);
    });
    target.on('pageerror', (error) => pageErrors.push(error.message));
    target.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspErrors.push(message.text());
    });
  }

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start(SERVER_ENV);
    const adminClient = clientOf(api);
    const admin = await adminClient.login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    adminId = (await adminClient.get('/v1/auth/me').set(admin.auth).expect(200)).body.user.id;
    auditor = await newUser(api.dataSource, {
      roles: ['auditor'],
      name: 'Ada Auditor',
      email: `ada.auditor-${randomUUID().slice(0, 4)}@example.com`,
    });
    const auditorClient = clientOf(api);
    secret = await enableMfa(
      auditorClient,
      await auditorClient.login(auditor),
      auditor.password,
      used,
    );
    await writeActivity(api, admin);
    await checkpointHead();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('serves the page under a strict Content-Security-Policy', async () => {
    const response = await api.http().get('/console').expect(200);
    expect(response.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    const deepLink = await api.http().get(`/console/events/${randomUUID()}`).expect(200);
    expect(deepLink.text).toBe(response.text);
    await api.http().get('/console/main-OLDBUILD.js').expect(404);
  });

  it('signs in with email, password and the one-time code the server asks for', async () => {
    const providers = page.waitForResponse((response) =>
      response.url().endsWith('/v1/auth/sso/providers'),
    );
    await page.goto(`${api.url}/console`);
    // No provider is configured on this server: the page offers none.
    expect(await (await providers).json()).toEqual([]);
    await page.getByLabel('Email').waitFor();
    expect(await page.getByRole('link', { name: /^Sign in with/ }).count()).toBe(0);
    await page.getByLabel('Email').fill(auditor.email);
    await page.getByLabel('Password').fill(auditor.password);
    await screenshot(page, 'sign-in');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const otp = page.getByLabel('One-time code');
    await otp.waitFor();
    await otp.fill(wrongCode(secret));
    await otp.press('Enter');
    await page.getByText('That code is not valid').waitFor();
    await otp.fill(freshCode(secret, used));
    await otp.press('Enter');

    await page.getByRole('heading', { name: 'Audit events' }).waitFor();
    expect(await rows()).not.toHaveLength(0);
    const stored = await page.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`);
    expect(stored).toContain('accessToken');
    expect(await context.cookies()).toEqual([]);
  });

  it('lists newest first and passes axe on the events screen', async () => {
    const shown = await rows();
    expect(shown).toHaveLength(50);
    const times = shown.map((row) => row[0]);
    expect(times).toEqual([...times].sort().reverse());
    await screenshot(page, 'events');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('filters, keeps the filter in the URL, and goes back and forward', async () => {
    await page.getByLabel('Action prefix').fill('user.');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=user\./);
    await page.locator('table.events tbody tr').first().filter({ hasText: 'user.' }).waitFor();
    const filtered = await rows();
    expect(filtered.length).toBeGreaterThanOrEqual(9);
    expect(filtered.every((row) => row[2].startsWith('user.'))).toBe(true);

    await page.getByLabel('Outcome').selectOption('denied');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/outcome=denied/);
    await page.getByText('No event matches these filters.').waitFor();

    await page.goBack();
    await page.waitForURL((url) => !url.search.includes('outcome'));
    expect((await rows()).every((row) => row[2].startsWith('user.'))).toBe(true);
    expect(await page.getByLabel('Action prefix').inputValue()).toBe('user.');
    await page.goForward();
    await page.getByText('No event matches these filters.').waitFor();

    await page.goto(`${api.url}/console?action=user.updated&range=1h`);
    const shared = await rows();
    expect(shared).toHaveLength(3);
    expect(await page.getByRole('button', { name: 'Last hour' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
  });

  it('opens an event with its changes as a diff, then follows the actor link', async () => {
    await page.locator('table.events .action-link').first().click();
    await page.waitForURL(/\/console\/events\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'user.updated' }).waitFor();
    const diff = page.locator('table.diff');
    expect(await diff.locator('tr.diff-changed th').textContent()).toBe('namechanged');
    expect(await diff.locator('pre.old').textContent()).toBe('Before: Sam Reyes');
    expect(await diff.locator('pre.new').textContent()).toBe('After: Sam Reyes (Finance)');
    expect(await page.locator('dl.fields').first().textContent()).toContain('User agent');
    expect(await page.locator('#request-link').textContent()).toMatch(/^\S+$/);
    await screenshot(page, 'event');
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator('#actor-link').click();
    await page.waitForURL(new RegExp(`actorId=${adminId}`));
    const byActor = await rows();
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((row) => row[4] === ADMIN_EMAIL)).toBe(true);
  });

  it('filters by the request id of an event', async () => {
    await page.locator('table.events .action-link').first().click();
    const requestId = (await page.locator('#request-link').textContent()) as string;
    await page.locator('#request-link').click();
    await page.waitForURL(new RegExp(`requestId=${requestId}`));
    const [expected] = await api.dataSource.query(
      'SELECT count(*)::int AS count FROM audit_events WHERE request_id = $1',
      [requestId],
    );
    expect(await rows()).toHaveLength(expected.count);
  });

  it('pages with "load more" and tails new events live', async () => {
    await page.goto(`${api.url}/console`);
    const [{ total }] = await api.dataSource.query(
      'SELECT count(*)::int AS total FROM audit_events',
    );
    expect(total).toBeGreaterThan(100);
    await page.getByRole('button', { name: 'Load 50 more' }).click();
    await page.locator('table.events tbody tr').nth(99).waitFor();
    expect(await page.locator('table.events tbody tr').count()).toBe(100);
    const times = (await rows()).map((row) => row[0]);
    expect(times).toEqual([...times].sort().reverse());

    await page.getByLabel('Live tail').check();
    const customer = await newUser(api.dataSource);
    const session = await clientOf(api).login(customer);
    await api.http().post('/v1/auth/logout').set(session.auth).expect(204);
    await page
      .locator('table.events tbody tr')
      .first()
      .filter({ hasText: 'auth.logged_out' })
      .waitFor({ timeout: 15_000 });
    await page.getByLabel('Live tail').uncheck();
  });

  it('keyboard: reaches an event from the list without a mouse', async () => {
    await page.goto(`${api.url}/console?action=user.`);
    await rows();
    await page.locator('body').focus();
    let focused = '';
    for (let presses = 0; presses < 60 && focused !== 'action-link'; presses += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>('document.activeElement?.className ?? ""');
    }
    expect(focused).toBe('action-link');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/events\//);
  });

  it('verifies an intact chain in steps, with the anchors it reached', async () => {
    const anchored = await checkpointHead();
    await page.getByRole('link', { name: 'Integrity' }).click();
    await page.getByRole('heading', { name: 'Latest signed checkpoints' }).waitFor();
    await page.getByRole('button', { name: 'Verify all' }).click();
    const verdict = page.locator('.verdict');
    await verdict.waitFor();
    const text = (await verdict.textContent()) as string;
    const match = /Intact from seq 1 to ([\d,]+), anchored through ([\d,]+)\./.exec(text);
    expect(match).not.toBeNull();
    const last = Number(match?.[1].replace(/,/g, ''));
    expect(last).toBeGreaterThanOrEqual(anchored);
    expect(Number(match?.[2].replace(/,/g, ''))).toBe(anchored);
    expect(await page.locator('progress').getAttribute('value')).toBe('10');
    await screenshot(page, 'integrity');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('reports a row tampered with by the database owner at its seq, and links to it', async () => {
    const [target] = await api.dataSource.query(
      `SELECT seq, id FROM audit_events WHERE action = 'user.roles_changed' ORDER BY seq LIMIT 1`,
    );
    await api.dataSource.transaction(async (manager) => {
      await manager.query('ALTER TABLE audit_events DISABLE TRIGGER ALL');
      await manager.query(
        `UPDATE audit_events SET metadata = '{"roles":["admin"]}' WHERE id = $1`,
        [target.id],
      );
      await manager.query('ALTER TABLE audit_events ENABLE TRIGGER ALL');
    });
    await page.getByRole('button', { name: 'Verify all' }).click();
    const verdict = page.locator('.verdict-broken');
    await verdict.waitFor();
    const seq = Number(target.seq).toLocaleString('en-US');
    expect(await verdict.textContent()).toContain(`Broken at seq ${seq}: hash mismatch`);
    await screenshot(page, 'integrity-broken');
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator('#broken-event-link').click();
    await page.waitForURL(new RegExp(`/console/events/${target.id}$`));
    await page
      .locator('dl.fields')
      .last()
      .filter({ hasText: `Seq${seq}` })
      .waitFor();
  });

  it('exports what the filter shows, streamed to the file the user picked', async () => {
    // Headless Chromium has no dialog to answer: the picker hands out a file of the origin's
    // private file system, which the page then writes through the same streaming API.
    await page.addInitScript(`window.showSaveFilePicker = async (options) =>
      (await navigator.storage.getDirectory()).getFileHandle(options.suggestedName, {
        create: true,
      });`);
    await page.goto(`${api.url}/console?action=user.&actorId=${adminId}`);
    await rows();
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await page.getByText(/Saved audit-events\.csv/).waitFor();
    const csv = await page.evaluate<string>(`(async () => {
      const root = await navigator.storage.getDirectory();
      return (await (await root.getFileHandle('audit-events.csv')).getFile()).text();
    })()`);
    const [expected] = await api.dataSource.query(
      `SELECT count(*)::int AS count FROM audit_events WHERE action LIKE 'user.%' AND actor_id = $1`,
      [adminId],
    );
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,seq,occurredAt,actorType,actorId/);
    expect(lines).toHaveLength(expected.count + 1);
    expect(lines.slice(1).every((line) => line.includes(',user.'))).toBe(true);

    await page.evaluate('window.showSaveFilePicker = undefined');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export NDJSON' }).click();
    const saved = await (await download).path();
    const ndjson = (await readFile(saved, 'utf8')).trimEnd().split('\n');
    expect(ndjson).toHaveLength(expected.count);
    expect(ndjson.map((line) => (JSON.parse(line) as { actor: { id: string } }).actor.id)).toEqual(
      Array(expected.count).fill(adminId),
    );
  });

  it('is readable at 200 % zoom: no page-wide horizontal scrolling', async () => {
    const zoomed = await browser.newContext({
      viewport: { width: 700, height: 450 },
      deviceScaleFactor: 2,
    });
    const token = await page.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`);
    await zoomed.addInitScript(
      `sessionStorage.setItem('${SESSION_KEY}', ${JSON.stringify(token)})`,
    );
    const small = await zoomed.newPage();
    watch(small);
    await small.goto(`${api.url}/console`);
    await small.locator('table.events tbody tr').first().waitFor();
    const overflow = await small.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(small, 'events-zoom-200');
    expect(await seriousViolations(small)).toEqual([]);
    await zoomed.close();
  });

  it('tells a user without audit:read which permission is missing', async () => {
    const customer = await newUser(api.dataSource, { name: 'No Audit' });
    const other = await browser.newContext();
    const customerPage = await other.newPage();
    watch(customerPage);
    await customerPage.goto(`${api.url}/console`);
    await customerPage.getByLabel('Email').fill(customer.email);
    await customerPage.getByLabel('Password').fill(customer.password);
    await customerPage.getByRole('button', { name: 'Sign in' }).click();
    await customerPage.getByRole('heading', { name: 'Permission needed' }).waitFor();
    expect(await customerPage.locator('main').textContent()).toContain('audit:read');
    expect(await seriousViolations(customerPage)).toEqual([]);
    await other.close();
  });

  it('signs out: the tokens are gone from the tab and refused by the server', async () => {
    const stored = JSON.parse(
      await page.evaluate<string>(`sessionStorage.getItem('${SESSION_KEY}')`),
    ) as { accessToken: string };
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    expect(await page.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`)).toBeNull();
    await api
      .http()
      .get('/v1/auth/me')
      .set('authorization', `Bearer ${stored.accessToken}`)
      .expect(401);
  });

  it('sent no request to another origin and broke no CSP rule', () => {
    expect(foreignRequests).toEqual([]);
    expect(cspErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  describe('with short-lived access tokens', () => {
    let shortLived: TestInstance;

    beforeAll(async () => {
      shortLived = await env.start({ ...SERVER_ENV, JWT_ACCESS_TTL: '8s' });
    });

    it('refreshes by itself before expiry and signs out once the session is revoked', async () => {
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(`${shortLived.url}/console`);
      await tab.getByLabel('Email').fill(ADMIN_EMAIL);
      await tab.getByLabel('Password').fill(ADMIN_PASSWORD);
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByRole('heading', { name: 'Audit events' }).waitFor();

      const refreshed = await tab.waitForResponse(
        (response) => response.url().endsWith('/v1/auth/refresh'),
        { timeout: 15_000 },
      );
      expect(refreshed.status()).toBe(200);
      await tab.getByRole('link', { name: 'Integrity' }).click();
      await tab.getByRole('heading', { name: 'Latest signed checkpoints' }).waitFor();

      const { accessToken } = JSON.parse(
        await tab.evaluate<string>(`sessionStorage.getItem('${SESSION_KEY}')`),
      ) as { accessToken: string };
      await shortLived
        .http()
        .post('/v1/auth/logout')
        .set('authorization', `Bearer ${accessToken}`)
        .expect(204);
      await tab
        .getByText('Your session has ended: it expired or was revoked.')
        .waitFor({ timeout: 15_000 });
      expect(await tab.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`)).toBeNull();
    });
  });

  describe('with single sign-on', () => {
    let idp: TestIdp;
    let sso: TestInstance;

    beforeAll(async () => {
      // The IdP must know where to send the browser back, and Bastion the IdP: the port comes first.
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      idp = await TestIdp.start(url);
      await idp.upsertUser({
        sub: 'corp-ops',
        email: `corp.ops-${randomUUID().slice(0, 4)}@corp.example`,
        email_verified: true,
        name: 'Corp Ops',
        groups: ['corp-auditors'],
      });
      sso = await env.start({
        ...SERVER_ENV,
        PORT: String(port),
        PUBLIC_URL: url,
        SSO_PROVIDERS: JSON.stringify([
          {
            id: 'corp',
            name: 'Corp SSO',
            issuer: idp.issuer,
            clientId: 'bastion',
            clientSecret: 'bastion-client-secret',
            redirectUris: [`${url}/console/sso`],
            groupsClaim: 'groups',
            roleMap: { 'corp-auditors': ['auditor'] },
          },
        ]),
      });
    });

    afterAll(async () => {
      await sso?.close();
      await idp?.stop();
    });

    it('serves the page at the return path', async () => {
      const page = await sso.http().get('/console').expect(200);
      const back = await sso.http().get('/console/sso?code=abc').expect(200);
      expect(back.text).toBe(page.text);
      expect(back.headers['content-security-policy']).toBe(CONSOLE_CSP);
    });

    it('offers the provider, signs in at the IdP and lands in the console signed in', async () => {
      const ssoContext = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      ssoContext.setDefaultTimeout(10_000);
      const tab = await ssoContext.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      tab.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) errors.push(message.text());
      });

      await tab.goto(`${sso.url}/console`);
      const button = tab.getByRole('link', { name: 'Sign in with Corp SSO' });
      await button.waitFor();
      expect(await tab.getByRole('link', { name: /^Sign in with/ }).count()).toBe(1);
      expect(new URL((await button.getAttribute('href')) as string, sso.url).href).toBe(
        `${sso.url}/v1/auth/sso/corp/start?redirectUri=${encodeURIComponent(`${sso.url}/console/sso`)}`,
      );
      expect(await seriousViolations(tab)).toEqual([]);
      await button.click();

      // The IdP's own sign-in form.
      await tab.waitForURL((url) => url.href.startsWith(`${idp.issuer}/interaction/`));
      await tab.locator('input[name="login"]').fill('corp-ops');
      const exchanged = tab.waitForResponse((response) =>
        response.url().endsWith('/v1/auth/sso/exchange'),
      );
      await tab.getByRole('button', { name: 'Sign in' }).click();

      expect((await exchanged).status()).toBe(200);
      await tab.getByRole('heading', { name: 'Audit events' }).waitFor();
      expect(await rows()).not.toHaveLength(0);
      expect(tab.url()).toBe(`${sso.url}/console`);
      expect(await tab.locator('.who-name').textContent()).toMatch(/^corp\.ops-.*@corp\.example$/);
      const stored = await tab.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`);
      expect(stored).toContain('accessToken');
      // Cookies know no port: the IdP's session on 127.0.0.1 is there, and nothing from Bastion.
      const cookies = (await ssoContext.cookies(sso.url)).map((cookie) => cookie.name);
      expect(cookies.filter((name) => !name.startsWith('_session'))).toEqual([]);
      expect(errors).toEqual([]);
      await ssoContext.close();

      async function rows(): Promise<string[][]> {
        await tab.locator('table.events tbody tr').first().waitFor();
        return tab.evaluate<string[][]>(`Array.from(
          document.querySelectorAll('table.events tbody tr'),
          (tr) => Array.from(tr.cells, (cell) => cell.textContent.trim()),
        )`);
      }
    });

    it('shows why single sign-on failed, and takes the code out of the address bar', async () => {
      const ssoContext = await browser.newContext();
      const tab = await ssoContext.newPage();
      await tab.goto(`${sso.url}/console/sso?error=account_unavailable`);
      await tab
        .getByRole('alert')
        .filter({ hasText: 'This account cannot sign in here.' })
        .waitFor();
      expect(tab.url()).toBe(`${sso.url}/console`);
      await tab.getByRole('link', { name: 'Sign in with Corp SSO' }).waitFor();
      expect(await seriousViolations(tab)).toEqual([]);

      await tab.goto(`${sso.url}/console/sso?code=not-a-code-the-server-gave`);
      await tab.getByRole('alert').filter({ hasText: 'has expired or was already used' }).waitFor();
      expect(tab.url()).toBe(`${sso.url}/console`);
      expect(await tab.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`)).toBeNull();
      await ssoContext.close();
    });
  });
});
