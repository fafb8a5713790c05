import { randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import type {
  Client,
  ClientPathsWithMethod,
  MaybeOptionalInit,
  MethodResponse,
  Middleware,
} from 'openapi-fetch';
import type { components, paths } from './generated/openapi';
import { BastionProblem } from './problem';

type Schemas = components['schemas'];
export type TokenPair = Schemas['TokenPairDto'];
export type Api = Client<paths>;

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type PathOf<M extends Method> = ClientPathsWithMethod<Api, M>;
type InitOf<P extends keyof paths, M extends Method> = MaybeOptionalInit<paths[P], M>;
type RequiredKeysOf<T> = {
  [K in keyof T]-?: object extends Pick<T, K> ? never : K;
}[keyof T];
/** Optional when the operation needs no parameter and no body, as openapi-fetch has it. */
type InitArgs<I> = RequiredKeysOf<I> extends never ? [init?: I] : [init: I];
type DataOf<M extends Method, P extends PathOf<M>, I> = MethodResponse<Api, M, P, I>;
type AnyResponse = { data?: unknown; error?: unknown; response: Response };

type ListPath = {
  [P in PathOf<'get'>]: DataOf<'get', P, object> extends { data: unknown[]; nextCursor: unknown }
    ? P
    : never;
}[PathOf<'get'>];
type ItemOf<P extends ListPath> =
  DataOf<'get', P, object> extends { data: (infer T)[] } ? T : never;
type ListParams<P extends ListPath> = Omit<NonNullable<paths[P]['get']['parameters']>, 'query'> & {
  query?: Omit<NonNullable<paths[P]['get']['parameters']['query']>, 'cursor'>;
};

export interface BastionClientOptions {
  /** Where the API is, e.g. `https://bastion.internal`; no `/v1`. */
  baseUrl: string;
  /** A service account's key, sent as `X-API-Key`; sessions (`signIn`) are not needed then. */
  apiKey?: string;
  /** A session obtained elsewhere (single sign-on's exchange, a previous run). */
  tokens?: TokenPair;
  /** Called with each new token pair, after sign-in and after every refresh, to persist it. */
  onTokens?: (tokens: TokenPair | null) => void;
  /** Attempts of a payment or refund when the network or the server fails (default 3). */
  moneyAttempts?: number;
  fetch?: (request: Request) => Promise<Response>;
}

export interface SignInInput {
  email: string;
  password: string;
  /** The current TOTP code, for users with MFA (a 401 `/mfa-required` says it is needed). */
  otp?: string;
}

export interface MoneyCallOptions {
  /**
   * The key of this payment or refund; default: a new one per call. Pass one stored before the
   * call to retry it safely after a crash of the caller itself.
   */
  idempotencyKey?: string;
}

const SESSION_ROUTES = new Set(['/v1/auth/login', '/v1/auth/refresh', '/v1/auth/sso/exchange']);
const MAX_RETRY_WAIT_SECONDS = 30;

/**
 * A typed client of the Bastion API over openapi-fetch: every call is checked against the
 * committed OpenAPI document at compile time, returns the response body, and throws a
 * `BastionProblem` for any error answer.
 *
 * It keeps the session (signs in, refreshes the access token once at a time, retries a call once
 * after a 401), remembers each resource's last `ETag` for `If-Match`, gives payments and refunds an
 * `Idempotency-Key` that survives its retries, and pages through lists.
 */
export class BastionClient {
  /** openapi-fetch itself, with credentials and ETags handled; it does not throw or retry. */
  readonly api: Api;
  private session: TokenPair | null;
  private refreshing: Promise<void> | null = null;
  private readonly etags = new Map<string, string>();
  private readonly apiKey: string | undefined;
  private readonly onTokens: BastionClientOptions['onTokens'];
  private readonly moneyAttempts: number;

  constructor(options: BastionClientOptions) {
    this.apiKey = options.apiKey;
    this.session = options.tokens ?? null;
    this.onTokens = options.onTokens;
    this.moneyAttempts = options.moneyAttempts ?? 3;
    this.api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.api.use(this.credentials(), this.etagTracker());
  }

  get tokens(): TokenPair | null {
    return this.session;
  }

  async signIn(input: SignInInput): Promise<TokenPair> {
    const pair = await this.POST('/v1/auth/login', { body: input });
    this.setSession(pair);
    return pair;
  }

  /** Revokes the session on the server (every instance), then forgets it. */
  async signOut(): Promise<void> {
    if (!this.session) return;
    try {
      await this.POST('/v1/auth/logout');
    } finally {
      this.setSession(null);
    }
  }

  /**
   * A new token pair for the current one. Concurrent callers share one refresh: refresh tokens
   * rotate, and presenting a rotated one again revokes the whole session as reuse.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshNow().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** `{ 'If-Match': <last ETag seen> }` for the resource with this id (or this resource). */
  ifMatch(resource: string | { id: string }): { 'If-Match': string } {
    const id = typeof resource === 'string' ? resource : resource.id;
    const etag = this.etags.get(id);
    if (etag === undefined) {
      throw new Error(`No ETag seen for ${id}: read the resource first`);
    }
    return { 'If-Match': etag };
  }

  GET<P extends PathOf<'get'>, I extends InitOf<P, 'get'>>(
    path: P,
    ...init: InitArgs<I>
  ): Promise<DataOf<'get', P, I>> {
    return this.call(() => this.api.GET(path, ...(init as [never])));
  }

  POST<P extends PathOf<'post'>, I extends InitOf<P, 'post'>>(
    path: P,
    ...init: InitArgs<I>
  ): Promise<DataOf<'post', P, I>> {
    return this.call(() => this.api.POST(path, ...(init as [never])));
  }

  PUT<P extends PathOf<'put'>, I extends InitOf<P, 'put'>>(
    path: P,
    ...init: InitArgs<I>
  ): Promise<DataOf<'put', P, I>> {
    return this.call(() => this.api.PUT(path, ...(init as [never])));
  }

  PATCH<P extends PathOf<'patch'>, I extends InitOf<P, 'patch'>>(
    path: P,
    ...init: InitArgs<I>
  ): Promise<DataOf<'patch', P, I>> {
    return this.call(() => this.api.PATCH(path, ...(init as [never])));
  }

  DELETE<P extends PathOf<'delete'>, I extends InitOf<P, 'delete'>>(
    path: P,
    ...init: InitArgs<I>
  ): Promise<DataOf<'delete', P, I>> {
    return this.call(() => this.api.DELETE(path, ...(init as [never])));
  }

  /** Every item of a list, page after page: `for await (const order of client.paginate(...))`. */
  async *paginate<P extends ListPath>(path: P, params?: ListParams<P>): AsyncGenerator<ItemOf<P>> {
    let cursor: string | undefined;
    do {
      const query = { ...params?.query, ...(cursor === undefined ? {} : { cursor }) };
      const page = (await this.GET(path, { params: { ...params, query } } as never)) as {
        data: ItemOf<P>[];
        nextCursor: string | null;
      };
      yield* page.data;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Pays an order. One `Idempotency-Key` for the call, sent again on each retry after a network
   * error, a 503 or a 429, so that a lost answer never charges twice.
   */
  pay(
    orderId: string,
    body: Schemas['CreatePaymentDto'],
    options: MoneyCallOptions = {},
  ): Promise<Schemas['PaymentDto']> {
    return this.withIdempotencyKey(options, (key) =>
      this.POST('/v1/orders/{id}/payments', {
        params: { path: { id: orderId }, header: { 'Idempotency-Key': key } },
        body,
      }),
    );
  }

  /** Refunds a payment, with the retries and the single `Idempotency-Key` of `pay`. */
  refund(
    paymentId: string,
    body: Schemas['CreateRefundDto'],
    options: MoneyCallOptions = {},
  ): Promise<Schemas['RefundDto']> {
    return this.withIdempotencyKey(options, (key) =>
      this.POST('/v1/payments/{id}/refunds', {
        params: { path: { id: paymentId }, header: { 'Idempotency-Key': key } },
        body,
      }),
    );
  }

  private async withIdempotencyKey<T>(
    options: MoneyCallOptions,
    send: (key: string) => Promise<T>,
  ): Promise<T> {
    const key = options.idempotencyKey ?? randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(key);
      } catch (error) {
        const wait = retryDelaySeconds(error, attempt);
        if (attempt >= this.moneyAttempts || wait === null) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    }
  }

  private async call<T>(send: () => Promise<AnyResponse>): Promise<T> {
    const sentWith = this.session?.accessToken;
    let result = await send();
    if (result.response.status === 401 && this.canRefresh(result.response)) {
      // Another call may have refreshed meanwhile: then its token is the one to retry with.
      if (this.session?.accessToken === sentWith) await this.refresh();
      result = await send();
    }
    if (!result.response.ok) throw BastionProblem.from(result.response, result.error);
    return result.data as T;
  }

  private canRefresh(response: Response): boolean {
    return (
      this.apiKey === undefined &&
      this.session !== null &&
      !SESSION_ROUTES.has(new URL(response.url).pathname)
    );
  }

  private async refreshNow(): Promise<void> {
    if (!this.session) throw new Error('Not signed in');
    const { data, error, response } = await this.api.POST('/v1/auth/refresh', {
      body: { refreshToken: this.session.refreshToken },
    });
    if (!response.ok || !data) {
      // The session is over (expired, revoked, reused): only a new sign-in helps.
      this.setSession(null);
      throw BastionProblem.from(response, error);
    }
    this.setSession(data);
  }

  private setSession(tokens: TokenPair | null): void {
    this.session = tokens;
    this.onTokens?.(tokens);
  }

  private credentials(): Middleware {
    return {
      onRequest: ({ request, schemaPath }) => {
        if (this.apiKey !== undefined) {
          request.headers.set('X-API-Key', this.apiKey);
        } else if (this.session && !SESSION_ROUTES.has(schemaPath)) {
          request.headers.set('Authorization', `Bearer ${this.session.accessToken}`);
        }
        return request;
      },
    };
  }

  /** Remembers the ETag of each resource a response carries, by the resource's id. */
  private etagTracker(): Middleware {
    return {
      onResponse: async ({ response }) => {
        const etag = response.headers.get('etag');
        const json = response.headers.get('content-type')?.includes('json') ?? false;
        if (!etag || !response.ok || !json) return;
        const body: unknown = await response.clone().json();
        if (
          typeof body === 'object' &&
          body !== null &&
          typeof (body as { id?: unknown }).id === 'string'
        ) {
          this.etags.set((body as { id: string }).id, etag);
        }
      },
    };
  }
}

/** Seconds to wait before retrying a payment or refund, or null when a retry cannot help. */
function retryDelaySeconds(error: unknown, attempt: number): number | null {
  const backoff = Math.min(0.25 * 2 ** (attempt - 1), MAX_RETRY_WAIT_SECONDS);
  if (!(error instanceof BastionProblem)) {
    // fetch rejects with a TypeError when the connection fails or drops: the request may or may
    // not have reached the server, which is what the key is for.
    return error instanceof TypeError ? backoff : null;
  }
  const transient =
    error.status === 429 ||
    error.status === 503 ||
    (error.status === 409 && error.slug === 'idempotency-key-in-use');
  if (!transient) return null;
  return error.retryAfter === undefined
    ? backoff
    : Math.min(error.retryAfter, MAX_RETRY_WAIT_SECONDS);
}
