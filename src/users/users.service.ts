import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ForbiddenProblem, NotFoundProblem, Page, preconditionFailed } from '@bastion/common';
import { isUniqueViolation } from '@bastion/database';
import { assertMayGrant, assertMayManageHolder, holds, Permission, Principal } from '@bastion/rbac';
import { AuditRecord, AuditWriter, SYSTEM_ACTOR } from '../audit';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { SetUserRolesDto } from './dto/set-user-roles.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';
import { PasswordHasher } from './password-hasher';
import { ADMIN_ROLE, RolesService } from './roles.service';
import { UserAccess } from './user-access';
import { UsersErrorCode, UsersException } from './users.exception';
import { NewUser, UsersRepository } from './users.repository';

/** What self-service sign-up grants anyone, so creating a user with it assigns nothing. */
const DEFAULT_ROLE = 'customer';
const EMAIL_INDEX = 'users_email_key';

type AuditedUser = Pick<UserDto, 'email' | 'name' | 'status' | 'roles'>;

/** A new account's fields, as sign-up and user creation receive them. */
interface NewAccount {
  email: string;
  name: string;
  password: string;
  roles: string[];
}

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly roles: RolesService,
    private readonly hasher: PasswordHasher,
    private readonly access: UserAccess,
    private readonly audit: AuditWriter,
  ) {}

  list(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.page(query);
  }

  async get(principal: Principal, id: string): Promise<UserDto> {
    if (!holds(principal, Permission.UsersRead) && !isSignedInAs(principal, id)) {
      throw new ForbiddenProblem();
    }
    const user = await this.users.findView(id);
    if (!user) throw new NotFoundProblem('User');
    return user;
  }

  async create(principal: Principal, dto: CreateUserDto): Promise<UserDto> {
    // Sending `roles` at all is assigning them, even `["customer"]`: one simple rule to audit.
    const assigning = dto.roles !== undefined;
    if (assigning && !holds(principal, Permission.RolesAssign)) {
      throw new ForbiddenProblem('Setting roles needs roles:assign; leave them out for customer.');
    }
    return this.createAccount(
      { ...dto, roles: dto.roles ?? [DEFAULT_ROLE] },
      // The default role too: creating a user one can log in as must not grant more than one holds.
      (roles) => assertMayGrant(principal, permissionsOf(roles)),
      (created) => ({
        action: 'user.created',
        resource: { type: 'user', id: created.id },
        changes: { before: null, after: auditView(created) },
      }),
    );
  }

  /** Self-service sign-up: a customer, acting as themself in the audit log. */
  register(dto: Omit<NewAccount, 'roles'>): Promise<UserDto> {
    const email = dto.email.toLowerCase();
    return this.createAccount(
      { ...dto, email, roles: [DEFAULT_ROLE] },
      () => undefined,
      (created) => ({
        action: 'user.registered',
        resource: { type: 'user', id: created.id },
        actor: { type: 'user', id: created.id, display: email },
        changes: { before: null, after: { email, name: dto.name, roles: [DEFAULT_ROLE] } },
      }),
    );
  }

  /**
   * An account an identity provider vouches for, created by the system in the caller's
   * transaction (the one that links the identity): no password, the roles the provider grants.
   */
  createFederated(
    manager: EntityManager,
    account: Omit<NewUser, 'passwordHash'>,
    metadata: Record<string, unknown>,
  ): Promise<UserDto> {
    return this.insertAccount(manager, { ...account, passwordHash: null }, (created) => ({
      action: 'user.created',
      resource: { type: 'user', id: created.id },
      actor: SYSTEM_ACTOR,
      changes: { before: null, after: auditView(created) },
      metadata,
    }));
  }

  async update(
    principal: Principal,
    id: string,
    expected: number,
    dto: UpdateUserDto,
  ): Promise<UserDto> {
    if (!holds(principal, Permission.UsersWrite)) {
      if (!isSignedInAs(principal, id)) throw new ForbiddenProblem();
      if (dto.email !== undefined) throw new UsersException(UsersErrorCode.SelfMayOnlyChangeName);
    }
    try {
      return await this.dataSource.transaction(async (manager) => {
        const user = await this.users.lockLive(manager, id);
        assertMayManageHolder(principal, permissionsOf(user.roles));
        if (user.version !== expected) throw preconditionFailed();
        const changes: Partial<Pick<User, 'name' | 'email'>> = {};
        if (dto.name !== undefined && dto.name !== user.name) changes.name = dto.name;
        if (dto.email !== undefined && dto.email !== user.email) changes.email = dto.email;
        if (Object.keys(changes).length === 0) return toUserDto(user);
        if (changes.email && (await this.users.emailTaken(manager, changes.email, id))) {
          throw new UsersException(UsersErrorCode.EmailTaken);
        }
        if (!(await this.users.updateProfile(manager, id, expected, changes))) {
          throw preconditionFailed();
        }
        const updated = await this.users.reload(manager, id);
        await this.audit.record(manager, {
          action: 'user.updated',
          resource: { type: 'user', id },
          changes: {
            before: pick(user, Object.keys(changes)),
            after: pick(updated, Object.keys(changes)),
          },
        });
        return toUserDto(updated);
      });
    } catch (error) {
      throw emailConflictOr(error);
    }
  }

  async disable(principal: Principal, id: string): Promise<UserDto> {
    if (isSelf(principal, id)) throw new UsersException(UsersErrorCode.CannotDisableSelf);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockLive(manager, id);
      assertMayManageHolder(principal, permissionsOf(user.roles));
      if (user.status === UserStatus.Disabled) return { user, revoked: undefined };
      if (hasRole(user, ADMIN_ROLE)) await this.roles.assertAnotherActiveAdmin(manager, id);
      await this.users.setStatus(manager, id, UserStatus.Disabled);
      const revoked = await this.access.revoke(manager, id, 'user_disabled');
      await this.audit.record(manager, {
        action: 'user.disabled',
        resource: { type: 'user', id },
        changes: { before: { status: user.status }, after: { status: UserStatus.Disabled } },
        metadata: { revokedSessions: revoked.sessionIds.length },
      });
      return { user: await this.users.reload(manager, id), revoked };
    });
    await this.access.forget([id], outcome.revoked);
    return toUserDto(outcome.user);
  }

  async enable(principal: Principal, id: string): Promise<UserDto> {
    const user = await this.dataSource.transaction(async (manager) => {
      const current = await this.users.lockLive(manager, id);
      assertMayManageHolder(principal, permissionsOf(current.roles));
      if (current.status === UserStatus.Active) return current;
      await this.users.setStatus(manager, id, UserStatus.Active);
      await this.audit.record(manager, {
        action: 'user.enabled',
        resource: { type: 'user', id },
        changes: { before: { status: current.status }, after: { status: UserStatus.Active } },
      });
      return this.users.reload(manager, id);
    });
    // Cached grants still say "inactive" and would refuse the user's next login for a while.
    await this.access.forget([id]);
    return toUserDto(user);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    if (isSelf(principal, id)) throw new UsersException(UsersErrorCode.CannotDeleteSelf);
    const revoked = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lock(manager, id);
      if (!user || user.status === UserStatus.Deleted) throw new NotFoundProblem('User');
      assertMayManageHolder(principal, permissionsOf(user.roles));
      if (user.status === UserStatus.Active && hasRole(user, ADMIN_ROLE)) {
        await this.roles.assertAnotherActiveAdmin(manager, id);
      }
      const ended = await this.access.revoke(manager, id, 'user_deleted');
      await this.users.erase(manager, user);
      // No before/after: the audit log is append-only, so it must not keep the erased PII.
      await this.audit.record(manager, {
        action: 'user.deleted',
        resource: { type: 'user', id },
        metadata: {
          roles: toUserDto(user).roles,
          revokedSessions: ended.sessionIds.length,
          revokedApiKeys: ended.apiKeyPrefixes.length,
        },
      });
      return ended;
    });
    await this.access.forget([id], revoked);
  }

  async setRoles(principal: Principal, id: string, dto: SetUserRolesDto): Promise<UserDto> {
    const user = await this.dataSource.transaction(async (manager) => {
      const current = await this.users.lockLive(manager, id);
      assertMayManageHolder(principal, permissionsOf(current.roles));
      const wanted = await this.roles.findByNames(manager, dto.roles, 'roles');
      const added = wanted.filter((role) => !hasRole(current, role.name));
      const removed = current.roles.filter((role) => !dto.roles.includes(role.name));
      if (added.length === 0 && removed.length === 0) return current;
      // What is removed the user holds, and that was checked above.
      assertMayGrant(principal, permissionsOf(added));
      if (
        current.status === UserStatus.Active &&
        removed.some((role) => role.name === ADMIN_ROLE)
      ) {
        await this.roles.assertAnotherActiveAdmin(manager, id);
      }
      await this.users.changeRoles(manager, id, added, removed);
      const updated = await this.users.reload(manager, id);
      await this.audit.record(manager, {
        action: 'user.roles_changed',
        resource: { type: 'user', id },
        changes: {
          before: { roles: toUserDto(current).roles },
          after: { roles: toUserDto(updated).roles },
        },
        metadata: {
          added: added.map((role) => role.name).sort(),
          removed: removed.map((role) => role.name).sort(),
        },
      });
      return updated;
    });
    await this.access.forget([id]);
    return toUserDto(user);
  }

  /** Sign-up and user creation: they differ only in their checks and audit. */
  private async createAccount(
    account: NewAccount,
    authorize: (roles: Role[]) => void,
    auditOf: (created: UserDto) => AuditRecord,
  ): Promise<UserDto> {
    const passwordHash = await this.hasher.hash(account.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const roles = await this.roles.findByNames(manager, account.roles, 'roles');
        authorize(roles);
        if (await this.users.emailTaken(manager, account.email)) {
          throw new UsersException(UsersErrorCode.EmailTaken);
        }
        return this.insertAccount(
          manager,
          { email: account.email, name: account.name, passwordHash, roles },
          auditOf,
        );
      });
    } catch (error) {
      throw emailConflictOr(error);
    }
  }

  /** Where sign-up, user creation and single sign-on write an account and its audit event. */
  private async insertAccount(
    manager: EntityManager,
    user: NewUser,
    auditOf: (created: UserDto) => AuditRecord,
  ): Promise<UserDto> {
    const created = toUserDto(await this.users.insert(manager, user));
    await this.audit.record(manager, auditOf(created));
    return created;
  }
}

/** The user themself, signed in: an API key never reads or edits its creator without permission. */
function isSignedInAs(principal: Principal, userId: string): boolean {
  return principal.type === 'user' && principal.userId === userId;
}

/** The caller acting for this user: themself, or an API key they created. */
function isSelf(principal: Principal, userId: string): boolean {
  return principal.userId === userId;
}

function hasRole(user: User, name: string): boolean {
  return user.roles.some((role) => role.name === name);
}

function permissionsOf(roles: Role[]): string[] {
  return roles.flatMap((role) => role.permissions);
}

function auditView(user: UserDto): AuditedUser {
  return { email: user.email, name: user.name, status: user.status, roles: user.roles };
}

function pick(user: User, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, user[field as keyof User]]));
}

function emailConflictOr(error: unknown): unknown {
  return isUniqueViolation(error, EMAIL_INDEX)
    ? new UsersException(UsersErrorCode.EmailTaken)
    : error;
}
