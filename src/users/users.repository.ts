import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { AdvisoryLock, isoTimestampSql, preparedQuery } from '@bastion/database';
import { Keyset, mapPage, NotFoundProblem, Page, paginate } from '@bastion/common';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';
import { UsersErrorCode, UsersException } from './users.exception';

const NEWEST_FIRST = new Keyset('u.created_at', 'u.id', 'DESC');

/**
 * The columns a new account starts with; every user is created active, without MFA. An account
 * an identity provider created has no password.
 */
export interface NewUser {
  email: string;
  name: string;
  passwordHash: string | null;
  roles: Role[];
}

export type MfaState = Partial<Pick<User, 'mfaEnabled' | 'mfaSecret' | 'mfaPendingSecret'>>;

/** The users table and user_roles: how users are read, locked and written. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** One page of users, newest first, filtered by status (live by default), text and role. */
  async page(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const builder = this.users.createQueryBuilder('u');
    if (query.status) {
      builder.where('u.status = :status', { status: query.status });
    } else {
      builder.where('u.status <> :deleted', { deleted: UserStatus.Deleted });
    }
    if (query.q) {
      builder.andWhere('(strpos(lower(u.email), :q) > 0 OR strpos(lower(u.name), :q) > 0)', {
        q: query.q.toLowerCase(),
      });
    }
    if (query.role) {
      builder.andWhere(
        `EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
          WHERE ur.user_id = u.id AND r.name = :role)`,
        { role: query.role },
      );
    }
    const page = await paginate(builder, query, NEWEST_FIRST);
    const roles = await this.rolesOfMany(page.data.map((user) => user.id));
    return mapPage(page, (user) => toUserDto({ ...user, roles: roles.get(user.id) ?? [] }));
  }

  /**
   * The user as the API shows it, for the hot reads (`GET /v1/auth/me`, `GET /v1/users/:id`): one
   * prepared statement and no entity hydration. The query builder spent more CPU building its SQL
   * and hydrating the join than the rest of a `/me` request.
   */
  async findView(id: string): Promise<UserDto | null> {
    const [row] = await preparedQuery<UserViewRow>(this.users.manager, USER_VIEW_BY_ID, [id]);
    if (!row) return null;
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      status: row.status,
      roles: row.roles.sort(),
      mfaEnabled: row.mfa_enabled,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** The user with its roles in one joined query (`findOne` with `relations` sends two). */
  findWithRoles(id: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .leftJoinAndSelect('u.roles', 'role')
      .where('u.id = :id', { id })
      .getOne();
  }

  /** A user by email (case-insensitive) with the password hash and MFA secret, for login. */
  findCredentialsByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect(['user.passwordHash', 'user.mfaSecret'])
      .where('lower(user.email) = lower(:email)', { email })
      .getOne();
  }

  /** The user with the password hash, to check a password before changing a credential. */
  getWithPasswordHash(id: string): Promise<User> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOneOrFail();
  }

  /** The user row with its hash and sealed MFA secrets, locked so credential changes serialize. */
  lockCredentials(manager: EntityManager, id: string): Promise<User> {
    return manager
      .createQueryBuilder(User, 'user')
      .addSelect(['user.passwordHash', 'user.mfaSecret', 'user.mfaPendingSecret'])
      .setLock('pessimistic_write')
      .where('user.id = :id', { id })
      .getOneOrFail();
  }

  get(manager: EntityManager, id: string): Promise<User> {
    return manager.findOneByOrFail(User, { id });
  }

  /** The user row, locked for this transaction, with its roles; null when absent. */
  async lock(manager: EntityManager, id: string): Promise<User | null> {
    const user = await manager.findOne(User, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!user) return null;
    user.roles = await this.rolesOf(manager, id);
    return user;
  }

  /** The user with this email (case-insensitive), locked for this transaction, with its roles. */
  async lockByEmail(manager: EntityManager, email: string): Promise<User | null> {
    const user = await manager
      .createQueryBuilder(User, 'u')
      .setLock('pessimistic_write')
      .where('lower(u.email) = lower(:email)', { email })
      .getOne();
    if (!user) return null;
    user.roles = await this.rolesOf(manager, user.id);
    return user;
  }

  /** Like `lock`, but absent is a 404 and deleted a 409: a deleted user never changes again. */
  async lockLive(manager: EntityManager, id: string): Promise<User> {
    const user = await this.lock(manager, id);
    if (!user) throw new NotFoundProblem('User');
    if (user.status === UserStatus.Deleted) throw new UsersException(UsersErrorCode.UserDeleted);
    return user;
  }

  async reload(manager: EntityManager, id: string): Promise<User> {
    const user = await manager.findOneByOrFail(User, { id });
    user.roles = await this.rolesOf(manager, id);
    return user;
  }

  /** Whether another user already has this email (case-insensitive). */
  emailTaken(manager: EntityManager, email: string, exceptId?: string): Promise<boolean> {
    const builder = manager
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email)', { email });
    if (exceptId) builder.andWhere('u.id <> :exceptId', { exceptId });
    return builder.getExists();
  }

  insert(manager: EntityManager, user: NewUser): Promise<User> {
    return manager.save(
      manager.create(User, { ...user, status: UserStatus.Active, mfaEnabled: false }),
    );
  }

  /** Changes name or email if the row is still at `expected`; false when it moved on. */
  async updateProfile(
    manager: EntityManager,
    id: string,
    expected: number,
    changes: Partial<Pick<User, 'name' | 'email'>>,
  ): Promise<boolean> {
    const result = await manager.update(User, { id, version: expected }, changes);
    return result.affected === 1;
  }

  async setStatus(manager: EntityManager, id: string, status: UserStatus): Promise<void> {
    await manager.update(User, { id }, { status });
  }

  async setPasswordHash(manager: EntityManager, id: string, passwordHash: string): Promise<void> {
    await manager.update(User, { id }, { passwordHash });
  }

  async setMfa(manager: EntityManager, id: string, state: MfaState): Promise<void> {
    await manager.update(User, { id }, state);
  }

  /** Adds and removes roles, and moves the version on: the roles are part of the user's ETag. */
  async changeRoles(
    manager: EntityManager,
    id: string,
    added: Role[],
    removed: Role[],
  ): Promise<void> {
    await manager.createQueryBuilder().relation(User, 'roles').of(id).addAndRemove(added, removed);
    await manager
      .createQueryBuilder()
      .update(User)
      .set({ version: () => 'version + 1' })
      .where('id = :id', { id })
      .execute();
  }

  /** Marks the user deleted, takes their roles away and erases their PII and secrets. */
  async erase(manager: EntityManager, user: User): Promise<void> {
    await manager.createQueryBuilder().relation(User, 'roles').of(user.id).remove(user.roles);
    // The users_pii_erased_when_deleted CHECK refuses a deleted row that still holds any of these.
    await manager.update(
      User,
      { id: user.id },
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
  }

  /** Concurrent first starts of several instances wait here, so they create one admin. */
  async lockAdminBootstrap(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [AdvisoryLock.AdminBootstrap]);
  }

  /** How many users hold the role and are not deleted. */
  countLiveHolders(manager: EntityManager, roleId: string): Promise<number> {
    return manager
      .createQueryBuilder(User, 'user')
      .innerJoin('user.roles', 'role', 'role.id = :roleId', { roleId })
      .where('user.status <> :deleted', { deleted: UserStatus.Deleted })
      .getCount();
  }

  /** How many active users other than this one hold the role. */
  countOtherActiveHolders(manager: EntityManager, roleId: string, userId: string): Promise<number> {
    return manager
      .createQueryBuilder(User, 'u')
      .innerJoin('user_roles', 'ur', 'ur.user_id = u.id AND ur.role_id = :roleId', { roleId })
      .where('u.status = :active', { active: UserStatus.Active })
      .andWhere('u.id <> :userId', { userId })
      .getCount();
  }

  private rolesOf(manager: EntityManager, userId: string): Promise<Role[]> {
    return manager
      .createQueryBuilder(Role, 'role')
      .innerJoin('user_roles', 'ur', 'ur.role_id = role.id AND ur.user_id = :userId', { userId })
      .getMany();
  }

  private async rolesOfMany(userIds: string[]): Promise<Map<string, Role[]>> {
    if (userIds.length === 0) return new Map();
    const users = await this.users.find({
      where: { id: In(userIds) },
      relations: { roles: true },
    });
    return new Map(users.map((user) => [user.id, user.roles]));
  }
}

interface UserViewRow {
  id: string;
  email: string | null;
  name: string | null;
  status: UserStatus;
  mfa_enabled: boolean;
  version: number;
  created_at: string;
  updated_at: string;
  roles: string[];
}

const USER_VIEW_BY_ID = `SELECT u.id, u.email, u.name, u.status, u.mfa_enabled, u.version,
    ${isoTimestampSql('u.created_at')} AS created_at, ${isoTimestampSql('u.updated_at')} AS updated_at,
    ARRAY(SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
           WHERE ur.user_id = u.id) AS roles
  FROM users u WHERE u.id = $1`;
