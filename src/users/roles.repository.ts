import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { Keyset, Page, PageQueryDto, paginate } from '@bastion/common';
import { ROLE_NAME_PATTERN } from './dto/create-role.dto';
import { Role } from './entities/role.entity';

// Byte order ("C"): the same on every database locale, and the order in which JavaScript compares
// the names.
const BY_NAME = new Keyset('role.name COLLATE "C"', 'role.id', 'ASC', {
  type: 'text',
  pattern: ROLE_NAME_PATTERN,
});

export type NewRole = Pick<Role, 'name' | 'description' | 'permissions' | 'builtIn'>;

/** The roles table, and who holds a role (user_roles). */
@Injectable()
export class RolesRepository {
  constructor(@InjectRepository(Role) private readonly roles: Repository<Role>) {}

  /** One page of roles by name. */
  page(query: PageQueryDto): Promise<Page<Role>> {
    return paginate(this.roles.createQueryBuilder('role'), query, BY_NAME);
  }

  findByNames(manager: EntityManager, names: string[]): Promise<Role[]> {
    return names.length > 0 ? manager.findBy(Role, { name: In(names) }) : Promise.resolve([]);
  }

  nameTaken(manager: EntityManager, name: string): Promise<boolean> {
    return manager.existsBy(Role, { name });
  }

  insert(manager: EntityManager, role: NewRole): Promise<Role> {
    return manager.save(manager.create(Role, role));
  }

  /** The role row, locked for this transaction; null when absent. */
  lock(manager: EntityManager, id: string): Promise<Role | null> {
    return manager.findOne(Role, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  lockByName(manager: EntityManager, name: string): Promise<Role | null> {
    return manager.findOne(Role, { where: { name }, lock: { mode: 'pessimistic_write' } });
  }

  /** Changes the role if it is still at `expected` and returns it as it now is. */
  async update(
    manager: EntityManager,
    id: string,
    expected: number,
    changes: Pick<Role, 'description' | 'permissions'>,
  ): Promise<Role> {
    await manager.update(Role, { id, version: expected }, changes);
    return manager.findOneByOrFail(Role, { id });
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(Role, { id });
  }

  /** The users who hold the role, whatever their status. */
  async holderIds(manager: EntityManager, roleId: string): Promise<string[]> {
    const rows = await manager
      .createQueryBuilder()
      .select('ur.user_id', 'userId')
      .from('user_roles', 'ur')
      .where('ur.role_id = :roleId', { roleId })
      .getRawMany<{ userId: string }>();
    return rows.map((row) => row.userId);
  }
}
