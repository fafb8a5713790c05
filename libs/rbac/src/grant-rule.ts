import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@bastion/common';
import { missingPermissions } from './permission';
import { Principal } from './principal';

/** One problem type for every breach of the grant rule, whatever it was about. */
class GrantExceedsCallerProblem extends ProblemException {
  constructor(detail: string) {
    super({
      status: HttpStatus.FORBIDDEN,
      slug: 'grant-exceeds-caller',
      title: 'Grant exceeds your permissions',
      detail,
    });
  }
}

/** The permissions of `requested` the caller lacks, sorted; `:any` held covers `:own`. */
function missingFor(principal: Principal, requested: Iterable<string>): string[] {
  return missingPermissions(principal.permissions, requested).sort();
}

/**
 * The grant rule: nobody hands out or takes away a permission they do not hold themselves, by a
 * role, a role's edit, a role assignment or an API key. An API key holds what it carries.
 */
export function assertMayGrant(principal: Principal, permissions: Iterable<string>): void {
  const missing = missingFor(principal, permissions);
  if (missing.length > 0) {
    throw new GrantExceedsCallerProblem(
      `You cannot grant or take away permissions you do not hold: ${missing.join(', ')}.`,
    );
  }
}

/**
 * The grant rule over people: editing, disabling, enabling, deleting or setting the roles of a
 * user is taking power over everything they hold (their sign-in, their orders), so the caller must
 * hold each permission the user holds through any of their roles.
 */
export function assertMayManageHolder(principal: Principal, held: Iterable<string>): void {
  const missing = missingFor(principal, held);
  if (missing.length > 0) {
    throw new GrantExceedsCallerProblem(
      `This user holds permissions you do not hold: ${missing.join(', ')}.`,
    );
  }
}
