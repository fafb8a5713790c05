import { isDependencyUnavailable } from './dependency-unavailable';

describe('isDependencyUnavailable', () => {
  it.each([
    ['a connection exception SQLSTATE', { code: '08006' }],
    ['an administrator shutdown', { code: '57P01' }],
    ['the server starting up', { code: '57P03' }],
    ['too many connections', { code: '53300' }],
    ['a refused socket', { code: 'ECONNREFUSED' }],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect', new Error('timeout exceeded when trying to connect')],
    [
      'a transaction whose connection was released',
      new Error('Query runner already released. Cannot run queries anymore.'),
    ],
    ['a wrapped driver error', { message: 'query failed', driverError: { code: '57P01' } }],
  ])('recognises %s', (_case, error) => {
    expect(isDependencyUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', { code: '23505', message: 'duplicate key value' }],
    ['a syntax error', { code: '42601' }],
    ['a plain bug', new TypeError('x is not a function')],
    ['a non-object', 'Connection terminated'],
    ['null', null],
  ])('does not mistake %s for an outage', (_case, error) => {
    expect(isDependencyUnavailable(error)).toBe(false);
  });
});
