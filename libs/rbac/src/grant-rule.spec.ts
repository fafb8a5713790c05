import { ProblemException } from '@bastion/common';
import { assertMayGrant, assertMayManageHolder } from './grant-rule';
import { expandPermissions } from './permission';
import { Principal } from './principal';

function caller(permissions: string[]): Principal {
  return {
    type: 'api_key',
    id: 'key',
    userId: 'creator',
    display: 'key',
    roles: [],
    permissions: expandPermissions(permissions),
  };
}

function refusal(check: () => void): ProblemException {
  try {
    check();
  } catch (error) {
    return error as ProblemException;
  }
  throw new Error('the rule let it through');
}

describe('the grant rule', () => {
  const support = caller(['users:read', 'users:write', 'orders:read:any']);

  it('lets a caller grant, or manage a holder of, what it holds; `:any` covers `:own`', () => {
    expect(() => assertMayGrant(support, ['users:write', 'orders:read:own'])).not.toThrow();
    expect(() => assertMayManageHolder(support, ['users:read', 'orders:read:own'])).not.toThrow();
    expect(() => assertMayManageHolder(support, [])).not.toThrow();
  });

  it('refuses both with one problem type naming what is missing, sorted', () => {
    const grant = refusal(() => assertMayGrant(support, ['roles:assign', 'audit:read']));
    const holder = refusal(() => assertMayManageHolder(support, ['roles:assign', 'audit:read']));
    for (const problem of [grant, holder]) {
      expect(problem.getStatus()).toBe(403);
      expect(problem.slug).toBe('grant-exceeds-caller');
      expect(problem.detail).toMatch(/: audit:read, roles:assign\.$/);
    }
  });

  it('does not let `:own` stand for `:any`', () => {
    const own = caller(['orders:read:own']);
    expect(refusal(() => assertMayManageHolder(own, ['orders:read:any'])).slug).toBe(
      'grant-exceeds-caller',
    );
  });
});
