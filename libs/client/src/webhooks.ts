import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers as Node's `IncomingHttpHeaders` or the Fetch API's `Headers` give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

const SECRET_PREFIX = 'whsec_';
/** The Standard Webhooks default: replays and clock skew beyond five minutes are refused. */
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export interface VerifyOptions {
  toleranceSeconds?: number;
  /** The time to check the timestamp against (tests); default: now. */
  now?: Date;
}

/**
 * Checks a delivery's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64>`) and returns the parsed body. `secrets` takes several: during
 * a rotation the endpoint's old and new secrets both sign, and a receiver may hold either.
 * `payload` must be the raw body, byte for byte: re-serialised JSON does not verify.
 */
export function verifyWebhook<T = unknown>(
  secrets: string | string[],
  payload: string | Buffer,
  headers: WebhookHeaders,
  options: VerifyOptions = {},
): T {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'Missing webhook-id, webhook-timestamp or webhook-signature',
    );
  }
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('Invalid webhook-timestamp');
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const sentAt = Number(timestamp);
  if (sentAt < now - tolerance) throw new WebhookVerificationError('Message timestamp too old');
  if (sentAt > now + tolerance) throw new WebhookVerificationError('Message timestamp too new');

  const body = typeof payload === 'string' ? payload : payload.toString('utf8');
  const presented = signatures
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value, 'base64'));
  const secretList = Array.isArray(secrets) ? secrets : [secrets];
  const matches = secretList.some((secret) => {
    const expected = Buffer.from(sign(secret, id, sentAt, body), 'base64');
    return presented.some(
      (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
    );
  });
  if (!matches) throw new WebhookVerificationError('No matching signature found');
  return JSON.parse(body) as T;
}

/**
 * The headers a Standard Webhooks sender puts on `payload`: for a receiver's own tests, and for
 * apps that forward deliveries.
 */
export function signWebhook(
  secret: string,
  id: string,
  payload: string,
  timestamp: Date = new Date(),
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': `v1,${sign(secret, id, seconds, payload)}`,
  };
}

function sign(secret: string, id: string, timestamp: number, payload: string): string {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  return createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`).digest('base64');
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}
