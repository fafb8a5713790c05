import type { Response } from 'supertest';
import { auditActionsOf, Session } from './factories';
import { TestInstance } from './test-app';

/** The request wrote exactly these audit actions, in this order. */
export async function expectAudit(
  instance: TestInstance,
  response: Response,
  actions: string[],
): Promise<void> {
  const requestId = response.headers['x-request-id'];
  expect(await auditActionsOf(instance.dataSource, requestId)).toEqual(actions);
}

/** The fields a 400 names, sorted. */
export function fieldsOf(response: Response): string[] {
  return (response.body.errors as { field: string }[]).map((error) => error.field).sort();
}

/** The lockout window is 15 minutes; Retry-After says how much of it is left. */
export function expectRetryWithinWindow(header: string | undefined): void {
  expect(Number(header)).toBeGreaterThan(0);
  expect(Number(header)).toBeLessThanOrEqual(900);
}

/** Both of the session's tokens are refused: its access token and its refresh token. */
export async function expectSessionEnded(instance: TestInstance, session: Session): Promise<void> {
  await instance.http().get('/v1/auth/me').set(session.auth).expect(401);
  await instance
    .http()
    .post('/v1/auth/refresh')
    .send({ refreshToken: session.refreshToken })
    .expect(401);
}
