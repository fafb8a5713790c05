import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook, verifyWebhook, WebhookVerificationError } from './webhooks';

const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const payload = JSON.stringify({
  id: '0e1c6f44-5d0a-4c55-9d87-2a8f6b1b7c3e',
  type: 'order.paid',
  occurredAt: '2030-01-02T03:04:05.678Z',
  seq: 42,
  data: { object: { id: '7d1f0c52-8a4b-4f7e-b1a2-6c3d9e8f0a1b', status: 'paid' } },
});
const MESSAGE_ID = 'msg_2b7a1f';

/** What the reference library sends: its three headers for this payload. */
function referenceHeaders(secret: string, at = new Date()): Record<string, string> {
  const signature = new Webhook(secret).sign(MESSAGE_ID, at, payload);
  return {
    'webhook-id': MESSAGE_ID,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

describe('webhook signatures (Standard Webhooks)', () => {
  it('verifies what the standardwebhooks package signs, and returns the parsed event', () => {
    const secret = newSecret();
    const event = verifyWebhook<{ type: string; seq: number }>(
      secret,
      payload,
      referenceHeaders(secret),
    );
    expect(event).toMatchObject({ type: 'order.paid', seq: 42 });
  });

  it('signs what the standardwebhooks package verifies', () => {
    const secret = newSecret();
    const headers = signWebhook(secret, MESSAGE_ID, payload);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload));
  });

  it('accepts Fetch API headers and raw Buffer bodies', () => {
    const secret = newSecret();
    const headers = new Headers(referenceHeaders(secret));
    expect(verifyWebhook(secret, Buffer.from(payload), headers)).toEqual(JSON.parse(payload));
  });

  it('refuses a changed body, another secret, and a missing header', () => {
    const secret = newSecret();
    const headers = referenceHeaders(secret);
    expect(() => verifyWebhook(secret, payload.replace('42', '43'), headers)).toThrow(
      WebhookVerificationError,
    );
    expect(() => verifyWebhook(newSecret(), payload, headers)).toThrow('No matching signature');
    const unsigned = { ...headers, 'webhook-signature': undefined };
    expect(() => verifyWebhook(secret, payload, unsigned)).toThrow(WebhookVerificationError);
  });

  it('refuses timestamps more than five minutes away, either way', () => {
    const secret = newSecret();
    const now = new Date();
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    expect(() =>
      verifyWebhook(secret, payload, referenceHeaders(secret, at(-301)), { now }),
    ).toThrow('too old');
    expect(() =>
      verifyWebhook(secret, payload, referenceHeaders(secret, at(301)), { now }),
    ).toThrow('too new');
    expect(
      verifyWebhook(secret, payload, referenceHeaders(secret, at(-299)), { now }),
    ).toBeDefined();
  });

  it('verifies during a rotation: two signatures, and a receiver that holds either secret', () => {
    const previous = newSecret();
    const next = newSecret();
    const at = new Date();
    const both = {
      ...referenceHeaders(previous, at),
      'webhook-signature': [
        referenceHeaders(previous, at)['webhook-signature'],
        referenceHeaders(next, at)['webhook-signature'],
      ].join(' '),
    };
    expect(verifyWebhook(previous, payload, both)).toBeDefined();
    expect(verifyWebhook(next, payload, both)).toBeDefined();
    expect(verifyWebhook([newSecret(), next], payload, both)).toBeDefined();
    // The reference library agrees with both secrets.
    expect(new Webhook(previous).verify(payload, both)).toBeDefined();
    expect(new Webhook(next).verify(payload, both)).toBeDefined();
  });
});
