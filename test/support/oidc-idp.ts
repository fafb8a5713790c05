import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export type Tamper = 'none' | 'expired' | 'forged' | 'nonce';

export interface IdpUser {
  sub: string;
  email: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

/** The test identity provider (test/support/oidc-idp.mjs), a real oidc-provider in a child process. */
export class TestIdp {
  private constructor(
    private readonly child: ChildProcess,
    readonly issuer: string,
  ) {}

  static async start(callbackOrigin: string): Promise<TestIdp> {
    const child = spawn(process.execPath, [join(__dirname, 'oidc-idp.mjs')], {
      env: { ...process.env, CALLBACK_ORIGIN: callbackOrigin, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the test IdP exited with ${code}`)));
      createInterface({ input: child.stdout }).once('line', resolve);
    });
    return new TestIdp(child, (JSON.parse(firstLine) as { issuer: string }).issuer);
  }

  upsertUser(user: IdpUser): Promise<void> {
    return this.admin('users', user);
  }

  /** A new signing key replaces the old one, which is no longer published. */
  rotateKeys(): Promise<void> {
    return this.admin('rotate', {});
  }

  /** While down, every connection to the provider (but this admin API) is dropped. */
  setDown(down: boolean): Promise<void> {
    return this.admin('down', { down });
  }

  setTamper(mode: Tamper): Promise<void> {
    return this.admin('tamper', { mode });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }

  private async admin(path: string, body: object): Promise<void> {
    const response = await fetch(`${this.issuer}/__admin/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`IdP admin ${path}: ${response.status}`);
  }
}

/**
 * A browser at the identity provider: follows its redirects by hand, keeps its cookies, signs in
 * through the provider's login form as `login`, and returns where the provider finally sends the
 * browser (the relying party's callback URL).
 */
export async function signInAtIdp(authorizeUrl: string, login: string): Promise<URL> {
  const cookies = new Map<string, string>();
  const send = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair.indexOf('=');
      cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
    return response;
  };
  const follow = (response: Response, from: URL): URL => {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`expected a redirect from ${from.pathname}, got ${response.status}`);
    }
    return new URL(location, from);
  };
  const authorize = new URL(authorizeUrl);
  const interaction = follow(await send(authorize), authorize);
  const page = await send(interaction);
  if (page.status !== 200) throw new Error(`login page: ${page.status}`);
  const submit = new URL(`${interaction.pathname}/login`, interaction);
  const resume = follow(
    await send(submit, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login }).toString(),
    }),
    submit,
  );
  return follow(await send(resume), resume);
}
