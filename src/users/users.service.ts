import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  ForbiddenProblem,
  NotFoundProblem,
  Page,
  preconditionFailed,
  versionFromIfMatch,
} from '@bastion/common';
import { assertMayGrant, assertMayManageHolder, holds, Permission, Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit/audit-writer.service';
import { AccessCache } from '../auth/access/access-cache';
import { PasswordHasher } from '../auth/crypto/password-hasher';
import { ApiKey } from '../auth/entities/api-key.entity';
import { SessionsService } from '../auth/sessions.service';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { SetUserRolesDto } from './dto/set-user-roles.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';
import { ADMIN_ROLE, RolesService } from './roles.service';
import { UsersRepository } from './users.repository';
import { UsersErrorCode, UsersException, violates } from './users.exception';

/** What self-service sign-up grants anyone, so creating a user with it assigns nothing. */
const DEFAULT_ROLE = 'customer';
const EMAIL_INDEX = 'users_email_key';

type AuditedUser = Pick<UserDto, 'email' | 'name' | 'status' | 'roles'>;

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly roles: RolesService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  list(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.page(query);
  }

  async get(principal: Principal, id: string): Promise<UserDto> {
    if (!holds(principal, Permission.UsersRead) && !isSignedInAs(principal, id)) {
      throw new ForbiddenProblem();
    }
    const user = await this.users.view(id);
    if (!user) throw new NotFoundProblem('User');
    return user;
  }

  async create(principal: Principal, dto: CreateUserDto): Promise<UserDto> {
    // Sending `roles` at all is assigning them, even `["customer"]`: one simple rule to audit.
    const assigning = dto.roles !== undefined;
    if (assigning && !holds(principal, Permission.RolesAssign)) {
      throw new ForbiddenProblem('Setting roles needs roles:assign; leave them out for customer.');
    }
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const roles = await this.roles.findByNames(manager, dto.roles ?? [DEFAULT_ROLE], 'roles');
        // The default role too: creating a user one can log in as must not grant more than one holds.
        assertMayGrant(principal, permissionsOf(roles));
        if (await this.users.emailTaken(manager, dto.email)) {
          throw new UsersException(UsersErrorCode.EmailTaken);
        }
        const user = await manager.save(
          manager.create(User, {
            email: dto.email,
            name: dto.name,
            passwordHash,
            status: UserStatus.Active,
            mfaEnabled: false,
            roles,
          }),
        );
        const created = toUserDto(user);
        await this.audit.record(manager, {
          action: 'user.created',
          resource: { type: 'user', id: user.id },
          changes: { before: null, after: auditView(created) },
        });
        return created;
      });
    } catch (error) {
      throw emailConflictOr(error);
    }
  }

  async update(
    principal: Principal,
    id: string,
    ifMatch: string | undefined,
    dto: UpdateUserDto,
  ): Promise<UserDto> {
    if (!holds(principal, Permission.UsersWrite)) {
      if (!isSignedInAs(principal, id)) throw new ForbiddenProblem();
      if (dto.email !== undefined) throw new UsersException(UsersErrorCode.SelfMayOnlyChangeName);
    }
    const expected = versionFromIfMatch(ifMatch);
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
        const result = await manager.update(User, { id, version: expected }, changes);
        if (result.affected !== 1) throw preconditionFailed();
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
      if (user.status === UserStatus.Disabled) return { user, revoked: [] };
      if (hasRole(user, ADMIN_ROLE)) await this.roles.assertAnotherActiveAdmin(manager, id);
      await manager.update(User, { id }, { status: UserStatus.Disabled });
      const revoked = await this.sessions.activeSessionIds(manager, id);
      await this.sessions.revokeInTransaction(manager, revoked, 'user_disabled');
      await this.audit.record(manager, {
        action: 'user.disabled',
        resource: { type: 'user', id },
        changes: { before: { status: user.status }, after: { status: UserStatus.Disabled } },
        metadata: { revokedSessions: revoked.length },
      });
      return { user: await this.users.reload(manager, id), revoked };
    });
    await this.sessions.propagate(outcome.revoked);
    await this.cache.forgetUsers([id]);
    return toUserDto(outcome.user);
  }

  async enable(principal: Principal, id: string): Promise<UserDto> {
    const user = await this.dataSource.transaction(async (manager) => {
      const current = await this.users.lockLive(manager, id);
      assertMayManageHolder(principal, permissionsOf(current.roles));
      if (current.status === UserStatus.Active) return current;
      await manager.update(User, { id }, { status: UserStatus.Active });
      await this.audit.record(manager, {
        action: 'user.enabled',
        resource: { type: 'user', id },
        changes: { before: { status: current.status }, after: { status: UserStatus.Active } },
      });
      return this.users.reload(manager, id);
    });
    // Cached grants still say "inactive" and would refuse the user's next login for a while.
    await this.cache.forgetUsers([id]);
    return toUserDto(user);
  }

  async remove(principal: Principal, id: string): Promise<void> {
    if (isSelf(principal, id)) throw new UsersException(UsersErrorCode.CannotDeleteSelf);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lock(manager, id);
      if (!user || user.status === UserStatus.Deleted) throw new NotFoundProblem('User');
      assertMayManageHolder(principal, permissionsOf(user.roles));
      if (user.status === UserStatus.Active && hasRole(user, ADMIN_ROLE)) {
        await this.roles.assertAnotherActiveAdmin(manager, id);
      }
      const sessionIds = await this.sessions.activeSessionIds(manager, id);
      await this.sessions.revokeInTransaction(manager, sessionIds, 'user_deleted');
      const revokedKeys = await manager
        .createQueryBuilder()
        .update(ApiKey)
        .set({ revokedAt: () => 'now()' })
        .where('created_by = :id AND revoked_at IS NULL', { id })
        .returning(['prefix'])
        .execute();
      const keyPrefixes = (revokedKeys.raw as { prefix: string }[]).map((row) => row.prefix);
      await manager.createQueryBuilder().relation(User, 'roles').of(id).remove(user.roles);
      // The users_pii_erased_when_deleted CHECK refuses a deleted row that still holds any of these.
      await manager.update(
        User,
        { id },
        {
          status: UserStatus.Deleted,
          email: null,
          name: null,
          passwordHash: null,
          mfaEnabled: false,
          mfaSecret: null,
          mfaPendingSecret: null,
          deletedAt: new Date(),
        },
      );
      // No before/after: the audit log is append-only, so it must not keep the erased PII.
      await this.audit.record(manager, {
        action: 'user.deleted',
        resource: { type: 'user', id },
        metadata: {
          roles: toUserDto(user).roles,
          revokedSessions: sessionIds.length,
          revokedApiKeys: keyPrefixes.length,
        },
      });
      return { sessionIds, keyPrefixes };
    });
    await this.sessions.propagate(outcome.sessionIds);
    await this.cache.forgetUsers([id]);
    for (const prefix of outcome.keyPrefixes) await this.cache.forgetApiKey(prefix);
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
      await manager
        .createQueryBuilder()
        .relation(User, 'roles')
        .of(id)
        .addAndRemove(added, removed);
      // The roles are part of the user's representation, so its ETag must change with them.
      await manager
        .createQueryBuilder()
        .update(User)
        .set({ version: () => 'version + 1' })
        .where('id = :id', { id })
        .execute();
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
    await this.cache.forgetUsers([id]);
    return toUserDto(user);
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
  return violates(error, EMAIL_INDEX) ? new UsersException(UsersErrorCode.EmailTaken) : error;
}
