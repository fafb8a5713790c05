import { checkSignature, signWebhook } from './webhook-signature';

const SECRET = 'whsec_unit';
const BODY = Buffer.from('{"id":"evt_1","type":"payment.succeeded","data":{"providerRef":"ch_1"}}');
const NOW = 1_800_000_000;

describe('webhook signatures', () => {
  it('accepts its own signature over the exact bytes', () => {
    expect(checkSignature(SECRET, BODY, signWebhook(SECRET, BODY, NOW), NOW)).toBe('valid');
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const header = `${signWebhook('old-secret', BODY, NOW)},${signWebhook(SECRET, BODY, NOW).split(',')[1]}`;
    expect(checkSignature(SECRET, BODY, header, NOW)).toBe('valid');
  });

  it('refuses another secret or a changed byte', () => {
    expect(checkSignature(SECRET, BODY, signWebhook('other', BODY, NOW), NOW)).toBe('mismatch');
    const tampered = Buffer.from(BODY.toString().replace('ch_1', 'ch_2'));
    expect(checkSignature(SECRET, tampered, signWebhook(SECRET, BODY, NOW), NOW)).toBe('mismatch');
  });

  it('refuses signatures more than 5 minutes away from now, either way', () => {
    expect(checkSignature(SECRET, BODY, signWebhook(SECRET, BODY, NOW - 300), NOW)).toBe('valid');
    expect(checkSignature(SECRET, BODY, signWebhook(SECRET, BODY, NOW - 301), NOW)).toBe('stale');
    expect(checkSignature(SECRET, BODY, signWebhook(SECRET, BODY, NOW + 301), NOW)).toBe('stale');
  });

  it.each([[undefined], [''], ['v1=abc'], ['t=abc,v1=00'], [`t=${NOW}`], [`t=${NOW},v1=not-hex`]])(
    'calls %p malformed or wrong',
    (header) => {
      expect(['malformed', 'mismatch']).toContain(checkSignature(SECRET, BODY, header, NOW));
    },
  );
});
