import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  CursorShape,
  FieldError,
  mapPage,
  NotFoundProblem,
  Page,
  PageQueryDto,
  paginateSorted,
  preconditionFailed,
  ValidationProblem,
} from '@bastion/common';
import { isForeignKeyViolation, isUniqueViolation } from '@bastion/database';
import {
  ALL_PERMISSIONS,
  assertMayGrant,
  isPermission,
  PERMISSION_DESCRIPTIONS,
  Principal,
} from '@bastion/rbac';
import { AuditWriter } from '../audit';
import { CreateRoleDto } from './dto/create-role.dto';
import { PermissionDto } from './dto/permission.dto';
import { RoleDto, toRoleDto } from './dto/role.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { Role } from './entities/role.entity';
import { RolesRepository } from './roles.repository';
import { UserAccess } from './user-access';
import { UsersErrorCode, UsersException } from './users.exception';
import { UsersRepository } from './users.repository';

/** The one role the system needs someone to hold: it is the only way back to every permission. */
export const ADMIN_ROLE = 'admin';

const ROLE_NAME_INDEX = 'roles_name_key';
const USER_ROLES_ROLE_FK = 'user_roles_role_id_fkey';

// By name in byte order, as roles are listed.
const PERMISSIONS_BY_NAME = [...ALL_PERMISSIONS].sort();
// A permission's name is its identity, so its cursor carries the name as both key and id.
const PERMISSION_NAME = /^[a-z]+(:[a-z]+)*$/;
const PERMISSION_CURSOR: CursorShape = { key: PERMISSION_NAME, id: PERMISSION_NAME };

@Injectable()
export class RolesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly roles: RolesRepository,
    private readonly users: UsersRepository,
    private readonly access: UserAccess,
    private readonly audit: AuditWriter,
  ) {}

  permissionCatalogue(query: PageQueryDto): Page<PermissionDto> {
    const page = paginateSorted(PERMISSIONS_BY_NAME, query, PERMISSION_CURSOR, (name) => ({
      key: name,
      id: name,
    }));
    return mapPage(page, (name) => ({ name, description: PERMISSION_DESCRIPTIONS[name] }));
  }

  async list(query: PageQueryDto): Promise<Page<RoleDto>> {
    return mapPage(await this.roles.page(query), toRoleDto);
  }

  async create(principal: Principal, dto: CreateRoleDto): Promise<RoleDto> {
    assertKnownPermissions(dto.permissions);
    assertMayGrant(principal, dto.permissions);
    try {
      return await this.dataSource.transaction(async (manager) => {
        if (await this.roles.nameTaken(manager, dto.name)) {
          throw new UsersException(UsersErrorCode.RoleNameTaken);
        }
        const role = await this.roles.insert(manager, {
          name: dto.name,
          description: dto.description ?? '',
          permissions: [...dto.permissions].sort(),
          builtIn: false,
        });
        await this.audit.record(manager, {
          action: 'role.created',
          resource: { type: 'role', id: role.id },
          changes: { before: null, after: roleView(role) },
        });
        return toRoleDto(role);
      });
    } catch (error) {
      if (isUniqueViolation(error, ROLE_NAME_INDEX))
        throw new UsersException(UsersErrorCode.RoleNameTaken);
      throw error;
    }
  }

  async update(
    principal: Principal,
    id: string,
    expected: number,
    dto: UpdateRoleDto,
  ): Promise<RoleDto> {
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
      const updated = await this.roles.update(manager, id, expected, { description, permissions });
      await this.audit.record(manager, {
        action: 'role.updated',
        resource: { type: 'role', id },
        changes: { before, after: roleView(updated) },
        metadata: { addedPermissions: added, removedPermissions: removed },
      });
      return { role: updated, holders: await this.roles.holderIds(manager, id) };
    });
    // Holders' cached grants name the old permissions; they must not outlive this change.
    if (outcome.holders.length > 0) await this.access.forget(outcome.holders);
    return toRoleDto(outcome.role);
  }

  async remove(id: string): Promise<void> {
    try {
      await this.dataSource.transaction(async (manager) => {
        const role = await this.lockCustomRole(manager, id);
        if ((await this.roles.holderIds(manager, id)).length > 0) {
          throw new UsersException(UsersErrorCode.RoleInUse);
        }
        await this.roles.delete(manager, id);
        await this.audit.record(manager, {
          action: 'role.deleted',
          resource: { type: 'role', id },
          changes: { before: roleView(role), after: null },
        });
      });
    } catch (error) {
      if (isForeignKeyViolation(error, USER_ROLES_ROLE_FK))
        throw new UsersException(UsersErrorCode.RoleInUse);
      throw error;
    }
  }

  /** Roles by name, in the order asked; an unknown name is a 400 on `<field>.<index>`. */
  async findByNames(manager: EntityManager, names: string[], field: string): Promise<Role[]> {
    const found = await this.roles.findByNames(manager, names);
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
    const admin = await this.roles.lockByName(manager, ADMIN_ROLE);
    if (!admin) return;
    const others = await this.users.countOtherActiveHolders(manager, admin.id, leavingUserId);
    if (others === 0) throw new UsersException(UsersErrorCode.LastAdmin);
  }

  private async lockCustomRole(manager: EntityManager, id: string): Promise<Role> {
    const role = await this.roles.lock(manager, id);
    if (!role) throw new NotFoundProblem('Role');
    if (role.builtIn) throw new UsersException(UsersErrorCode.RoleBuiltIn);
    return role;
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
