import { eventForResponse } from './denial-recorder.service';

const route = { method: 'GET', pattern: '/v1/users/:id', path: '/v1/users/42' };
const problem = (slug: string) => `https://bastion.dev/problems/${slug}`;

describe('eventForResponse', () => {
  it('records a 403 as access.denied (forbidden) on the route pattern', () => {
    expect(eventForResponse(403, route, problem('grant-exceeds-caller'))).toEqual({
      action: 'access.denied',
      outcome: 'denied',
      resource: { type: 'route', id: 'GET /v1/users/:id' },
      metadata: {
        status: 403,
        method: 'GET',
        path: '/v1/users/42',
        reason: 'forbidden',
        problem: 'grant-exceeds-caller',
      },
    });
  });

  it('records a 401 as access.denied (unauthenticated)', () => {
    expect(eventForResponse(401, route, problem('invalid-token'))).toMatchObject({
      action: 'access.denied',
      outcome: 'denied',
      metadata: { reason: 'unauthenticated', problem: 'invalid-token' },
    });
  });

  it.each([500, 502, 503])('records a %i as request.failed', (status) => {
    expect(eventForResponse(status, route, undefined)).toEqual({
      action: 'request.failed',
      outcome: 'failure',
      resource: { type: 'route', id: 'GET /v1/users/:id' },
      metadata: { status, method: 'GET', path: '/v1/users/42' },
    });
  });

  it.each([
    [409, 'illegal-transition'],
    [412, 'precondition-failed'],
  ])('records a %i to a state change as request.refused with the reason', (status, slug) => {
    const cancel = {
      method: 'POST',
      pattern: '/v1/orders/:id/cancel',
      path: '/v1/orders/7/cancel',
    };

    expect(eventForResponse(status, cancel, problem(slug))).toEqual({
      action: 'request.refused',
      outcome: 'failure',
      resource: { type: 'route', id: 'POST /v1/orders/:id/cancel' },
      metadata: { status, method: 'POST', path: '/v1/orders/7/cancel', reason: slug },
    });
  });

  it('records nothing for a 409 or 412 to a read', () => {
    expect(eventForResponse(409, route, problem('conflict'))).toBeNull();
    expect(eventForResponse(412, route, problem('precondition-failed'))).toBeNull();
  });

  it.each([200, 201, 204, 304, 400, 404, 422, 428, 429])('records nothing for %i', (status) => {
    expect(eventForResponse(status, route, undefined)).toBeNull();
  });

  it('falls back to the path when no route matched, and keeps the id within 64 characters', () => {
    const long = { method: 'DELETE', pattern: undefined, path: `/v1/${'x'.repeat(100)}` };

    const event = eventForResponse(403, long, undefined);

    expect(event?.resource.id).toHaveLength(64);
    expect(event?.resource.id?.startsWith('DELETE /v1/xxx')).toBe(true);
  });
});
