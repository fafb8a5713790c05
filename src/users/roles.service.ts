import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import {
  CursorShape,
  decodeKeysetCursor,
  FieldError,
  NotFoundProblem,
  Page,
  PageQueryDto,
  preconditionFailed,
  toPage,
  UUID_PATTERN,
  ValidationProblem,
  versionFromIfMatch,
} from '@bastion/common';
import {
  ALL_PERMISSIONS,
  assertMayGrant,
  isPermission,
  PERMISSION_DESCRIPTIONS,
  Principal,
} from '@bastion/rbac';
import { AuditWriter } from '../audit/audit-writer.service';
import { AccessCache } from '../auth/access/access-cache';
import { CreateRoleDto, ROLE_NAME_PATTERN } from './dto/create-role.dto';
import { PermissionDto } from './dto/permission.dto';
import { RoleDto, toRoleDto } from './dto/role.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';
import { UsersErrorCode, UsersException, violates } from './users.exception';

/** The one role the system needs someone to hold: it is the only way back to every permission. */
export const ADMIN_ROLE = 'admin';

const ROLE_NAME_INDEX = 'roles_name_key';
const USER_ROLES_ROLE_FK = 'user_roles_role_id_fkey';

// Both lists go by name in byte order ("C"): the same on every database locale, and the order in
// which JavaScript compares the permission names.
const PERMISSIONS_BY_NAME = [...ALL_PERMISSIONS].sort();
// A permission's name is its identity, so its cursor carries the name as both key and id.
const PERMISSION_NAME = /^[a-z]+(:[a-z]+)*$/;
const PERMISSION_CURSOR: CursorShape = { key: PERMISSION_NAME, id: PERMISSION_NAME };
const ROLE_CURSOR: CursorShape = { key: ROLE_NAME_PATTERN, id: UUID_PATTERN };

@Injectable()
export class RolesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  permissionCatalogue(query: PageQueryDto): Page<PermissionDto> {
    const after = query.cursor ? decodeKeysetCursor(query.cursor, PERMISSION_CURSOR).key : null;
    const names = PERMISSIONS_BY_NAME.filter((name: string) => after === null || name > after);
    return toPage(
      names.slice(0, query.limit + 1),
      query.limit,
      (name) => ({ name, description: PERMISSION_DESCRIPTIONS[name] }),
      (name) => ({ key: name, id: name }),
    );
  }

  async list(query: PageQueryDto): Promise<Page<RoleDto>> {
    const builder = this.dataSource
      .getRepository(Role)
      .createQueryBuilder('role')
      .orderBy('role.name COLLATE "C"', 'ASC')
      .addOrderBy('role.id', 'ASC')
      .limit(query.limit + 1);
    if (query.cursor) {
      const after = decodeKeysetCursor(query.cursor, ROLE_CURSOR);
      builder.where('(role.name COLLATE "C", role.id) > (:name, CAST(:id AS uuid))', {
        name: after.key,
        id: after.id,
      });
    }
    return toPage(await builder.getMany(), query.limit, toRoleDto, (role) => ({
      key: role.name,
      id: role.id,
    }));
  }

  async create(principal: Principal, dto: CreateRoleDto): Promise<RoleDto> {
    assertKnownPermissions(dto.permissions);
    assertMayGrant(principal, dto.permissions);
    try {
      return await this.dataSource.transaction(async (manager) => {
        if (await manager.existsBy(Role, { name: dto.name })) {
          throw new UsersException(UsersErrorCode.RoleNameTaken);
        }
        const role = await manager.save(
          manager.create(Role, {
            name: dto.name,
            description: dto.description ?? '',
            permissions: [...dto.permissions].sort(),
            builtIn: false,
          }),
        );
        await this.audit.record(manager, {
          action: 'role.created',
          resource: { type: 'role', id: role.id },
          changes: { before: null, after: roleView(role) },
        });
        return toRoleDto(role);
      });
    } catch (error) {
      if (violates(error, ROLE_NAME_INDEX)) throw new UsersException(UsersErrorCode.RoleNameTaken);
      throw error;
    }
  }

  async update(
    principal: Principal,
    id: string,
    ifMatch: string | undefined,
    dto: UpdateRoleDto,
  ): Promise<RoleDto> {
    const expected = versionFromIfMatch(ifMatch);
    if (dto.permissions) assertKnownPermissions(dto.permissions);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const role = await this.lockCustomRole(manager, id);
      if (role.version !== expected) throw preconditionFailed();
      const before = roleView(role);
      const permissions = dto.permissions ? [...dto.permissions].sort() : role.permissions;
      const description = dto.description ?? role.description;
      const added = permissions.filter((name) => !role.permissions.includes(name));
      const removed = role.permissions.filter((name) => !permissions.includes(name));
      if (added.length === 0 && removed.length === 0 && description === role.description) {
        return { role, holders: [] };
      }
      assertMayGrant(principal, [...added, ...removed]);
      await manager.update(Role, { id, version: expected }, { description, permissions });
      const updated = await manager.findOneByOrFail(Role, { id });
      await this.audit.record(manager, {
        action: 'role.updated',
        resource: { type: 'role', id },
        changes: { before, after: roleView(updated) },
        metadata: { addedPermissions: added, removedPermissions: removed },
      });
      return { role: updated, holders: await this.holderIds(manager, id) };
    });
    // Holders' cached grants name the old permissions; they must not outlive this change.
    if (outcome.holders.length > 0) await this.cache.forgetUsers(outcome.holders);
    return toRoleDto(outcome.role);
  }

  async remove(id: string): Promise<void> {
    try {
      await this.dataSource.transaction(async (manager) => {
        const role = await this.lockCustomRole(manager, id);
        if ((await this.holderIds(manager, id)).length > 0) {
          throw new UsersException(UsersErrorCode.RoleInUse);
        }
        await manager.delete(Role, { id });
        await this.audit.record(manager, {
          action: 'role.deleted',
          resource: { type: 'role', id },
          changes: { before: roleView(role), after: null },
        });
      });
    } catch (error) {
      if (violates(error, USER_ROLES_ROLE_FK)) throw new UsersException(UsersErrorCode.RoleInUse);
      throw error;
    }
  }

  /** Roles by name, in the order asked; an unknown name is a 400 on `<field>.<index>`. */
  async findByNames(manager: EntityManager, names: string[], field: string): Promise<Role[]> {
    const found = names.length > 0 ? await manager.findBy(Role, { name: In(names) }) : [];
    const byName = new Map(found.map((role) => [role.name, role]));
    const errors: FieldError[] = names.flatMap((name, index) =>
      byName.has(name) ? [] : [{ field: `${field}.${index}`, message: 'is not a known role' }],
    );
    if (errors.length > 0) throw new ValidationProblem(errors);
    return names.map((name) => byName.get(name) as Role);
  }

  /**
   * Refuses a change that would leave no active admin. Locks the admin role's row first, so two
   * concurrent changes that each leave one admin cannot both pass.
   */
  async assertAnotherActiveAdmin(manager: EntityManager, leavingUserId: string): Promise<void> {
    const admin = await manager.findOne(Role, {
      where: { name: ADMIN_ROLE },
      lock: { mode: 'pessimistic_write' },
    });
    if (!admin) return;
    const others = await manager
      .createQueryBuilder(User, 'u')
      .innerJoin('user_roles', 'ur', 'ur.user_id = u.id AND ur.role_id = :roleId', {
        roleId: admin.id,
      })
      .where('u.status = :active', { active: UserStatus.Active })
      .andWhere('u.id <> :leavingUserId', { leavingUserId })
      .getCount();
    if (others === 0) throw new UsersException(UsersErrorCode.LastAdmin);
  }

  private async lockCustomRole(manager: EntityManager, id: string): Promise<Role> {
    const role = await manager.findOne(Role, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!role) throw new NotFoundProblem('Role');
    if (role.builtIn) throw new UsersException(UsersErrorCode.RoleBuiltIn);
    return role;
  }

  private async holderIds(manager: EntityManager, roleId: string): Promise<string[]> {
    const rows = await manager
      .createQueryBuilder()
      .select('ur.user_id', 'userId')
      .from('user_roles', 'ur')
      .where('ur.role_id = :roleId', { roleId })
      .getRawMany<{ userId: string }>();
    return rows.map((row) => row.userId);
  }
}

function assertKnownPermissions(permissions: string[]): void {
  const errors: FieldError[] = permissions.flatMap((name, index) =>
    isPermission(name)
      ? []
      : [{ field: `permissions.${index}`, message: 'is not a known permission' }],
  );
  if (errors.length > 0) throw new ValidationProblem(errors);
}

function roleView(role: Role): { name: string; description: string; permissions: string[] } {
  return { name: role.name, description: role.description, permissions: role.permissions };
}
