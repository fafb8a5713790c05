import { randomUUID } from 'node:crypto';
import { AuditSealer } from '../src/audit/chain/audit-sealer.service';
import { errorFields, login, Session, signedIn } from './support/factories';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestEnvironment, TestInstance } from './support/test-app';

interface EventBody {
  id: string;
  seq: number | null;
  action: string;
  requestId: string | null;
  actor: { id: string | null };
  resource: { type: string; id: string | null };
}

/** The filters the console links to from an event: its request and its place in the chain. */
describe('audit filters by request id and seq, and exports that follow every filter', () => {
  let env: TestEnvironment;
  let api: TestInstance;
  let admin: Session;
  const requestId = `console-${randomUUID()}`;
  let customerId: string;

  beforeAll(async () => {
    env = await TestEnvironment.create();
    api = await env.start();
    admin = await login(api, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const customer = await signedIn(api);
    customerId = customer.id;
    await api.http().get('/v1/users').set(customer.auth).set('x-request-id', requestId).expect(403);
    await api.http().get('/v1/roles').set(customer.auth).expect(403);
    await api.app.get(AuditSealer).seal();
  });
  afterAll(() => env.close());

  const list = (query: Record<string, string | number>) =>
    api.http().get('/v1/audit-events').query(query).set(admin.auth);

  it('lists the events of one request', async () => {
    const response = await list({ requestId }).expect(200);
    const events = response.body.data as EventBody[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'access.denied',
      requestId,
      actor: { id: customerId },
    });
  });

  it('finds the event at a seq, and nothing past the head', async () => {
    const newest = ((await list({ limit: 1 }).expect(200)).body.data as EventBody[])[0];
    const seq = newest.seq as number;
    const atSeq = (await list({ seq }).expect(200)).body.data as EventBody[];
    expect(atSeq.map((event) => event.id)).toEqual([newest.id]);
    expect((await list({ seq: seq + 1000 }).expect(200)).body.data).toEqual([]);
  });

  it.each([
    ['seq', '0'],
    ['seq', 'one'],
    ['requestId', 'has space'],
    ['requestId', 'x'.repeat(129)],
  ])('refuses %s=%s as a 400 on that field', async (field, value) => {
    const response = await list({ [field]: value }).expect(400);
    expect(errorFields(response.body)).toEqual([field]);
  });

  it('exports only what the filters select, and records them with the export', async () => {
    const response = await api
      .http()
      .get('/v1/audit-events/export')
      .query({ format: 'ndjson', actorId: customerId, action: 'access.' })
      .set(admin.auth)
      .expect(200);
    const events = response.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as EventBody);
    expect(events).toHaveLength(2);
    expect(events.every((event) => event.actor.id === customerId)).toBe(true);
    expect(events.map((event) => event.resource.id)).toEqual(['GET /v1/users', 'GET /v1/roles']);

    const [row] = await api.dataSource.query(
      'SELECT metadata FROM audit_events WHERE request_id = $1',
      [response.headers['x-request-id']],
    );
    expect(row.metadata).toEqual({
      format: 'ndjson',
      from: null,
      to: null,
      actorId: customerId,
      action: 'access.',
    });
  });
});
