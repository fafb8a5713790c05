import { Webhook } from 'standardwebhooks';
import { newEndpointSecret, signedHeaders } from './signing';

describe('webhook signing', () => {
  const body = JSON.stringify({ id: 'evt', type: 'order.created' });

  it('makes secrets of 32 random bytes in the whsec_ form', () => {
    const secret = newEndpointSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(newEndpointSecret()).not.toBe(secret);
  });

  it('signs as the Standard Webhooks reference library verifies', () => {
    const secret = newEndpointSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signedHeaders([secret], 'msg_1', timestamp, body);

    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every secret given, each verifying on its own', () => {
    const [current, previous] = [newEndpointSecret(), newEndpointSecret()];
    const headers = signedHeaders(
      [current, previous],
      'msg_2',
      Math.floor(Date.now() / 1000),
      body,
    );

    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(newEndpointSecret()).verify(body, headers)).toThrow();
  });
});
