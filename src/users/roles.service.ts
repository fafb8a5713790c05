import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import {
  FieldError,
  NotFoundProblem,
  preconditionFailed,
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
import { CreateRoleDto } from './dto/create-role.dto';
import { PermissionListDto } from './dto/permission.dto';
import { RoleDto, RoleListDto, toRoleDto } from './dto/role.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';
import { UsersErrorCode, UsersException, violates } from './users.exception';

/** The one role the system needs someone to hold: it is the only way back to every permission. */
export const ADMIN_ROLE = 'admin';

const ROLE_NAME_INDEX = 'roles_name_key';
const USER_ROLES_ROLE_FK = 'user_roles_role_id_fkey';

@Injectable()
export class RolesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  permissionCatalogue(): PermissionListDto {
    return {
      data: ALL_PERMISSIONS.map((name) => ({ name, description: PERMISSION_DESCRIPTIONS[name] })),
    };
  }

  async list(): Promise<RoleListDto> {
    const roles = await this.dataSource.getRepository(Role).find({ order: { name: 'ASC' } });
    return { data: roles.map(toRoleDto) };
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
