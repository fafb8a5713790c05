import { BASE } from './route';
import type { Me, Problem, SsoProvider, TokenPair } from './types';

const STORAGE_KEY = 'bastion.console.session';
/** Refresh this long before the access token expires, so that no request races its expiry. */
const REFRESH_MARGIN_MS = 30_000;
const MIN_REFRESH_DELAY_MS = 2_000;

interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `The server answered ${status}`);
  }

  /** The last segment of the problem's `type`, e.g. `mfa-required`. */
  get kind(): string | undefined {
    return this.problem?.type?.split('/').pop();
  }
}

export type LoginResult = { ok: true } | { ok: false; mfaRequired: boolean; message: string };

/** Where the server sends the browser back after single sign-on (in the providers' allow-list). */
export const SSO_RETURN_PATH = `${BASE}/sso`;

/** What the server's `?error=` after single sign-on means to the person signing in. */
const SSO_ERRORS: Record<string, string> = {
  access_denied: 'The identity provider did not sign you in.',
  invalid_id_token: "The identity provider's answer could not be verified. Try again.",
  account_unavailable:
    'This account cannot sign in here. Ask an administrator to check your account and groups.',
  temporarily_unavailable: 'Single sign-on is unavailable right now. Try again in a moment.',
};

export function ssoErrorMessage(error: string): string {
  return SSO_ERRORS[error] ?? `Single sign-on failed (${error}).`;
}

/** The server's start URL for `provider`, coming back to this console at `origin`. */
export function ssoStartUrl(provider: SsoProvider, origin: string): string {
  const redirectUri = new URL(SSO_RETURN_PATH, origin).href;
  return `/v1/auth/sso/${encodeURIComponent(provider.id)}/start?${new URLSearchParams({
    redirectUri,
  }).toString()}`;
}

export type SignOutReason = 'signed-out' | 'expired';

async function problemOf(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? '';
  const problem = type.includes('json') ? ((await response.json()) as Problem) : null;
  return new ApiError(response.status, problem);
}

/**
 * The signed-in session. Tokens live in this tab's sessionStorage (they survive a reload, not the
 * tab) and travel only in the Authorization header: no cookie, so no other page can ride on them.
 */
export class Api {
  private session: StoredSession | null = null;
  private refreshTimer: number | undefined;
  private refreshing: Promise<boolean> | null = null;
  private readonly listeners = new Set<(reason: SignOutReason) => void>();

  constructor() {
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (stored) {
      this.session = JSON.parse(stored) as StoredSession;
      this.scheduleRefresh();
    }
  }

  get signedIn(): boolean {
    return this.session !== null;
  }

  onSignOut(listener: (reason: SignOutReason) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async login(email: string, password: string, otp?: string): Promise<LoginResult> {
    const response = await fetch('/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, ...(otp ? { otp } : {}) }),
    });
    if (response.ok) {
      this.store((await response.json()) as TokenPair);
      return { ok: true };
    }
    const error = await problemOf(response);
    if (error.kind === 'mfa-required') {
      return {
        ok: false,
        mfaRequired: true,
        message: 'Enter the code from your authenticator app.',
      };
    }
    if (error.kind === 'invalid-otp') {
      return { ok: false, mfaRequired: true, message: 'That code is not valid. Try the next one.' };
    }
    if (response.status === 429) {
      const wait = response.headers.get('retry-after');
      return {
        ok: false,
        mfaRequired: Boolean(otp),
        message: `Too many attempts. Try again${wait ? ` in ${wait} s` : ' later'}.`,
      };
    }
    return {
      ok: false,
      mfaRequired: Boolean(otp),
      message: response.status === 401 ? 'Wrong email or password.' : error.message,
    };
  }

  /** The configured single sign-on providers; none when the server cannot say. */
  async ssoProviders(): Promise<SsoProvider[]> {
    const response = await fetch('/v1/auth/sso/providers').catch(() => null);
    if (!response?.ok) return [];
    return (await response.json()) as SsoProvider[];
  }

  /** Trades the one-time code of a single sign-on return for a session. */
  async exchangeSsoCode(code: string): Promise<LoginResult> {
    const response = await fetch('/v1/auth/sso/exchange', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    if (response.ok) {
      this.store((await response.json()) as TokenPair);
      return { ok: true };
    }
    const error = await problemOf(response);
    return {
      ok: false,
      mfaRequired: false,
      message:
        response.status === 401
          ? 'That single sign-on has expired or was already used. Sign in again.'
          : error.message,
    };
  }

  /** Signed out only once the server has revoked the session, or cannot be reached. */
  async logout(): Promise<void> {
    const token = this.session?.accessToken;
    if (token) {
      await fetch('/v1/auth/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => undefined);
    }
    this.end('signed-out');
  }

  me(): Promise<Me> {
    return this.json<Me>('/v1/auth/me');
  }

  async json<T>(path: string): Promise<T> {
    return (await (await this.fetch(path)).json()) as T;
  }

  /** A GET with the access token; a 401 gets one refresh and one retry, then ends the session. */
  async fetch(path: string, init: { signal?: AbortSignal } = {}): Promise<Response> {
    let response = await this.send(path, init);
    if (response.status === 401 && (await this.refresh())) {
      response = await this.send(path, init);
    }
    if (response.status === 401) this.end('expired');
    if (!response.ok) throw await problemOf(response);
    return response;
  }

  private send(path: string, init: { signal?: AbortSignal }): Promise<Response> {
    return fetch(path, {
      ...init,
      headers: this.session ? { authorization: `Bearer ${this.session.accessToken}` } : {},
    });
  }

  private store(pair: TokenPair): void {
    this.session = {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: Date.now() + pair.expiresIn * 1000,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.session));
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    window.clearTimeout(this.refreshTimer);
    if (!this.session) return;
    const lifetime = this.session.expiresAt - Date.now();
    const delay = Math.max(
      MIN_REFRESH_DELAY_MS,
      lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 5),
    );
    this.refreshTimer = window.setTimeout(() => {
      void this.refresh().then((ok) => {
        if (!ok) this.end('expired');
      });
    }, delay);
  }

  /** One refresh at a time: refresh tokens rotate, so a second one in flight would be reuse. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= this.rotate().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(): Promise<boolean> {
    const refreshToken = this.session?.refreshToken;
    if (!refreshToken) return false;
    const response = await fetch('/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    }).catch(() => null);
    if (!response?.ok) return false;
    this.store((await response.json()) as TokenPair);
    return true;
  }

  private end(reason: SignOutReason): void {
    if (!this.session) return;
    window.clearTimeout(this.refreshTimer);
    this.session = null;
    sessionStorage.removeItem(STORAGE_KEY);
    for (const listener of this.listeners) listener(reason);
  }
}
