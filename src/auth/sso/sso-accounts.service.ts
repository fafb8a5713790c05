import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { missingPermissions, Permission } from '@bastion/rbac';
import { AuditWriter, SYSTEM_ACTOR } from '../../audit/audit-writer.service';
import { SsoProviderConfig } from '../../config/sso-config';
import { Role } from '../../users/entities/role.entity';
import { User, UserStatus } from '../../users/entities/user.entity';
import { ADMIN_ROLE, RolesService } from '../../users/roles.service';
import { UsersErrorCode, UsersException } from '../../users/users.exception';
import { AccessCache } from '../access/access-cache';
import { UserIdentity } from './entities/user-identity.entity';

/** What a validated ID token says about the person signing in. */
export interface SsoClaims {
  sub: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  groups: string[];
}

export type SsoRefusalReason =
  | 'email_missing'
  | 'email_taken'
  | 'user_inactive'
  | 'link_exceeds_provider'
  | 'already_linked'
  | 'unknown_role'
  | 'last_admin';

/** A sign-in the rules refuse although the provider vouched for the person. */
export class SsoRefusal extends Error {
  override name = 'SsoRefusal';

  constructor(
    readonly reason: SsoRefusalReason,
    readonly userId: string | null = null,
    /** A role change refused by the last-admin rule, audited once the transaction rolled back. */
    readonly refusedRoles?: { before: string[]; added: string[]; removed: string[] },
  ) {
    super(reason);
  }
}

interface RoleChange {
  added: Role[];
  removed: Role[];
}

/**
 * Finds or creates the Bastion user behind a provider's (provider, `sub`) and makes their roles
 * follow the provider's groups. A provider manages only the roles its `roleMap` names: it adds
 * and removes those, never a role an admin gave by hand. The grant rule applies to it as to a
 * person: it may take over (link) only a user who holds nothing beyond what those roles grant.
 */
@Injectable()
export class SsoAccounts {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly roles: RolesService,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  /** Signs the person in as a user, in one transaction with its audit events; returns the id. */
  async signIn(provider: SsoProviderConfig, claims: SsoClaims): Promise<string> {
    const userId = await this.dataSource.transaction(async (manager) => {
      const managed = await this.managedRoles(manager, provider);
      const wanted = wantedRoles(provider, claims.groups, managed);
      const identity = await manager.findOne(UserIdentity, {
        where: { provider: provider.id, subject: claims.sub },
        lock: { mode: 'pessimistic_write' },
      });
      let user: User;
      let created = false;
      let linked = false;
      if (identity) {
        user = await this.lockUser(manager, identity.userId);
        if (user.status !== UserStatus.Active) throw new SsoRefusal('user_inactive', user.id);
        await this.syncRoles(manager, provider, user, managed, wanted);
        await manager.update(
          UserIdentity,
          { provider: provider.id, subject: claims.sub },
          { lastLoginAt: new Date() },
        );
      } else {
        if (!claims.email) throw new SsoRefusal('email_missing');
        const existing = await manager
          .createQueryBuilder(User, 'u')
          .setLock('pessimistic_write')
          .where('lower(u.email) = lower(:email)', { email: claims.email })
          .getOne();
        if (existing) {
          user = await this.link(manager, provider, claims, existing.id, managed);
          await this.syncRoles(manager, provider, user, managed, wanted);
          linked = true;
        } else {
          user = await this.create(manager, provider, claims, wanted);
          created = true;
        }
      }
      await this.audit.record(manager, {
        action: 'auth.sso_login_succeeded',
        resource: { type: 'user', id: user.id },
        actor: { type: 'user', id: user.id, display: user.email },
        metadata: { provider: provider.id, step: 'callback', created, linked },
      });
      return user.id;
    });
    // Cached grants would keep the old roles until they expire.
    await this.cache.forgetUsers([userId]);
    return userId;
  }

  /** Records the role change that the last-admin rule refused, after its transaction rolled back. */
  async recordRefusedRoleChange(provider: SsoProviderConfig, refusal: SsoRefusal): Promise<void> {
    if (!refusal.refusedRoles) return;
    await this.audit.recordAlone({
      action: 'user.roles_changed',
      resource: { type: 'user', id: refusal.userId },
      outcome: 'failure',
      actor: SYSTEM_ACTOR,
      changes: { before: { roles: refusal.refusedRoles.before }, after: null },
      metadata: {
        provider: provider.id,
        reason: refusal.reason,
        added: refusal.refusedRoles.added,
        removed: refusal.refusedRoles.removed,
      },
    });
  }

  private async managedRoles(manager: EntityManager, provider: SsoProviderConfig): Promise<Role[]> {
    const names = [...new Set(Object.values(provider.roleMap).flat())];
    const roles = names.length > 0 ? await manager.findBy(Role, { name: In(names) }) : [];
    if (roles.length !== names.length) throw new SsoRefusal('unknown_role');
    return roles;
  }

  private async lockUser(manager: EntityManager, id: string): Promise<User> {
    await manager
      .createQueryBuilder(User, 'u')
      .setLock('pessimistic_write')
      .where('u.id = :id', { id })
      .getOneOrFail();
    return manager.findOneOrFail(User, { where: { id }, relations: { roles: true } });
  }

  private async create(
    manager: EntityManager,
    provider: SsoProviderConfig,
    claims: SsoClaims,
    roles: Role[],
  ): Promise<User> {
    const user = await manager.save(
      manager.create(User, {
        email: claims.email,
        name: claims.name ?? claims.email,
        passwordHash: null,
        status: UserStatus.Active,
        mfaEnabled: false,
        roles,
      }),
    );
    await manager.insert(UserIdentity, {
      provider: provider.id,
      subject: claims.sub,
      userId: user.id,
      lastLoginAt: new Date(),
    });
    await this.audit.record(manager, {
      action: 'user.created',
      resource: { type: 'user', id: user.id },
      actor: SYSTEM_ACTOR,
      changes: {
        before: null,
        after: { email: user.email, name: user.name, status: user.status, roles: names(roles) },
      },
      metadata: { reason: 'sso', provider: provider.id },
    });
    return user;
  }

  private async link(
    manager: EntityManager,
    provider: SsoProviderConfig,
    claims: SsoClaims,
    userId: string,
    managed: Role[],
  ): Promise<User> {
    if (!provider.linkVerifiedEmail || !claims.emailVerified) throw new SsoRefusal('email_taken');
    const user = await this.lockUser(manager, userId);
    if (user.status !== UserStatus.Active) throw new SsoRefusal('user_inactive', user.id);
    const authority = new Set(managed.flatMap((role) => role.permissions) as Permission[]);
    const held = user.roles.flatMap((role) => role.permissions);
    if (missingPermissions(authority, held).length > 0) {
      throw new SsoRefusal('link_exceeds_provider', user.id);
    }
    const other = await manager.findOneBy(UserIdentity, { provider: provider.id, userId });
    if (other) throw new SsoRefusal('already_linked', user.id);
    await manager.insert(UserIdentity, {
      provider: provider.id,
      subject: claims.sub,
      userId,
      lastLoginAt: new Date(),
    });
    await this.audit.record(manager, {
      action: 'user.identity_linked',
      resource: { type: 'user', id: userId },
      actor: SYSTEM_ACTOR,
      metadata: { provider: provider.id, reason: 'email_verified' },
    });
    return user;
  }

  private async syncRoles(
    manager: EntityManager,
    provider: SsoProviderConfig,
    user: User,
    managed: Role[],
    wanted: Role[],
  ): Promise<void> {
    const change = roleChange(user, managed, wanted);
    if (change.added.length === 0 && change.removed.length === 0) return;
    const before = names(user.roles);
    if (change.removed.some((role) => role.name === ADMIN_ROLE)) {
      try {
        await this.roles.assertAnotherActiveAdmin(manager, user.id);
      } catch (error) {
        if (!(error instanceof UsersException && error.code === UsersErrorCode.LastAdmin)) {
          throw error;
        }
        throw new SsoRefusal('last_admin', user.id, {
          before,
          added: names(change.added),
          removed: names(change.removed),
        });
      }
    }
    await manager
      .createQueryBuilder()
      .relation(User, 'roles')
      .of(user.id)
      .addAndRemove(change.added, change.removed);
    // The roles are part of the user's representation, so its ETag must change with them.
    await manager
      .createQueryBuilder()
      .update(User)
      .set({ version: () => 'version + 1' })
      .where('id = :id', { id: user.id })
      .execute();
    const removedIds = new Set(change.removed.map((role) => role.id));
    const after = names([
      ...user.roles.filter((role) => !removedIds.has(role.id)),
      ...change.added,
    ]);
    await this.audit.record(manager, {
      action: 'user.roles_changed',
      resource: { type: 'user', id: user.id },
      actor: SYSTEM_ACTOR,
      changes: { before: { roles: before }, after: { roles: after } },
      metadata: {
        provider: provider.id,
        added: names(change.added),
        removed: names(change.removed),
      },
    });
  }
}

function wantedRoles(provider: SsoProviderConfig, groups: string[], managed: Role[]): Role[] {
  const wanted = new Set(groups.flatMap((group) => provider.roleMap[group] ?? []));
  return managed.filter((role) => wanted.has(role.name));
}

function roleChange(user: User, managed: Role[], wanted: Role[]): RoleChange {
  const held = new Set(user.roles.map((role) => role.id));
  const wantedIds = new Set(wanted.map((role) => role.id));
  return {
    added: wanted.filter((role) => !held.has(role.id)),
    removed: managed.filter((role) => held.has(role.id) && !wantedIds.has(role.id)),
  };
}

function names(roles: Role[]): string[] {
  return roles.map((role) => role.name).sort();
}
