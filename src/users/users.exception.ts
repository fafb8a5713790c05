import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@bastion/common';

export enum UsersErrorCode {
  EmailTaken = 'email-taken',
  UserDeleted = 'user-deleted',
  CannotDisableSelf = 'cannot-disable-self',
  CannotDeleteSelf = 'cannot-delete-self',
  LastAdmin = 'last-admin',
  SelfMayOnlyChangeName = 'self-may-only-change-name',
  RoleNameTaken = 'role-name-taken',
  RoleBuiltIn = 'role-built-in',
  RoleInUse = 'role-in-use',
}

interface UsersErrorShape {
  status: HttpStatus;
  title: string;
  detail: string;
}

function describe(code: UsersErrorCode): UsersErrorShape {
  switch (code) {
    case UsersErrorCode.EmailTaken:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Email taken',
        detail: 'A user with this email already exists.',
      };
    case UsersErrorCode.UserDeleted:
      return {
        status: HttpStatus.CONFLICT,
        title: 'User deleted',
        detail: 'This user is deleted and can no longer change.',
      };
    case UsersErrorCode.CannotDisableSelf:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Cannot disable yourself',
        detail: 'Ask another user with users:write to disable your account.',
      };
    case UsersErrorCode.CannotDeleteSelf:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Cannot delete yourself',
        detail: 'Ask another user with users:write to delete your account.',
      };
    case UsersErrorCode.LastAdmin:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Last admin',
        detail: 'At least one active user must keep the admin role.',
      };
    case UsersErrorCode.SelfMayOnlyChangeName:
      return {
        status: HttpStatus.FORBIDDEN,
        title: 'Forbidden',
        detail: 'Without users:write you may change only your own name.',
      };
    case UsersErrorCode.RoleNameTaken:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Role name taken',
        detail: 'A role with this name already exists.',
      };
    case UsersErrorCode.RoleBuiltIn:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Built-in role',
        detail: 'Built-in roles cannot be changed or deleted.',
      };
    case UsersErrorCode.RoleInUse:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Role in use',
        detail: 'The role is still assigned to users; take it away from them first.',
      };
  }
}

export class UsersException extends ProblemException {
  constructor(readonly code: UsersErrorCode) {
    super({ ...describe(code), slug: code });
  }
}
