import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { isoTimestampSql, preparedQuery } from '@bastion/database';
import {
  decodeTimestampCursor,
  NotFoundProblem,
  Page,
  timestampCursorSql,
  toPage,
} from '@bastion/common';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';
import { UsersErrorCode, UsersException } from './users.exception';

/** How users are read and locked; the rules that change them live in UsersService. */
@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One page of users, newest first, keyset-paginated and filtered. */
  async page(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const builder = this.dataSource
      .createQueryBuilder(User, 'u')
      .select('u.id', 'id')
      .addSelect(timestampCursorSql('u.created_at'), 'cursorKey')
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .limit(query.limit + 1);
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
    if (query.cursor) {
      const cursor = decodeTimestampCursor(query.cursor);
      builder.andWhere('(u.created_at, u.id) < (CAST(:key AS timestamptz), CAST(:id AS uuid))', {
        key: cursor.key,
        id: cursor.id,
      });
    }
    const rows = await builder.getRawMany<{ id: string; cursorKey: string }>();
    if (rows.length === 0) return { data: [], nextCursor: null };
    const users = await this.dataSource.getRepository(User).find({
      where: { id: In(rows.map((row) => row.id)) },
      relations: { roles: true },
    });
    const byId = new Map(users.map((user) => [user.id, user]));
    return toPage(
      rows,
      query.limit,
      (row) => toUserDto(byId.get(row.id) as User),
      (row) => ({ key: row.cursorKey, id: row.id }),
    );
  }

  view(id: string): Promise<UserDto | null> {
    return findUserView(this.dataSource, id);
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

  private rolesOf(manager: EntityManager, userId: string): Promise<Role[]> {
    return manager
      .createQueryBuilder(Role, 'role')
      .innerJoin('user_roles', 'ur', 'ur.role_id = role.id AND ur.user_id = :userId', { userId })
      .getMany();
  }

  private async assertEmailFree(
    manager: EntityManager,
    email: string,
    exceptId?: string,
  ): Promise<void> {
    const builder = manager
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email)', { email });
    if (exceptId) builder.andWhere('u.id <> :exceptId', { exceptId });
    if (await builder.getExists()) throw new UsersException(UsersErrorCode.EmailTaken);
  }

  /** Whether another user already has this email (case-insensitive). */
  async emailTaken(manager: EntityManager, email: string, exceptId?: string): Promise<boolean> {
    const builder = manager
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email)', { email });
    if (exceptId) builder.andWhere('u.id <> :exceptId', { exceptId });
    return builder.getExists();
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

/**
 * The user as the API shows it, for the hot reads (`GET /v1/auth/me`, `GET /v1/users/:id`): one
 * prepared statement and no entity hydration. The query builder spent more CPU building its SQL
 * and hydrating the join than the rest of a `/me` request.
 */
export async function findUserView(
  on: DataSource | EntityManager,
  id: string,
): Promise<UserDto | null> {
  const [row] = await preparedQuery<UserViewRow>(on, USER_VIEW_BY_ID, [id]);
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
export function findUserWithRoles(manager: EntityManager, id: string): Promise<User | null> {
  return manager
    .createQueryBuilder(User, 'u')
    .leftJoinAndSelect('u.roles', 'role')
    .where('u.id = :id', { id })
    .getOne();
}
