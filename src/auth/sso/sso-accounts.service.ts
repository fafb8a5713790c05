import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { missingPermissions, Permission } from '@bastion/rbac';
import { AuditWriter, SYSTEM_ACTOR } from '../../audit';
import { SsoProviderConfig } from '../../config/sso-config';
import {
  ADMIN_ROLE,
  Role,
  RolesRepository,
  RolesService,
  User,
  UsersErrorCode,
  UsersException,
  UsersRepository,
  UsersService,
  UserStatus,
} from '../../users';
import { AccessCache } from '../access/access-cache';
import { UserIdentitiesRepository } from './user-identities.repository';

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
    private readonly identities: UserIdentitiesRepository,
    private readonly users: UsersRepository,
    private readonly accounts: UsersService,
    private readonly roles: RolesRepository,
    private readonly roleRules: RolesService,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  /** Signs the person in as a user, in one transaction with its audit events; returns the id. */
  async signIn(provider: SsoProviderConfig, claims: SsoClaims): Promise<string> {
    const userId = await this.dataSource.transaction(async (manager) => {
      const managed = await this.managedRoles(manager, provider);
      const wanted = wantedRoles(provider, claims.groups, managed);
      const identity = await this.identities.lock(manager, provider.id, claims.sub);
      let user: Pick<User, 'id' | 'email'>;
      let created = false;
      let linked = false;
      if (identity) {
        const known = await this.users.lock(manager, identity.userId);
        if (known?.status !== UserStatus.Active) {
          throw new SsoRefusal('user_inactive', identity.userId);
        }
        await this.syncRoles(manager, provider, known, managed, wanted);
        await this.identities.touch(manager, provider.id, claims.sub);
        user = known;
      } else {
        if (!claims.email) throw new SsoRefusal('email_missing');
        const existing = await this.users.lockByEmail(manager, claims.email);
        if (existing) {
          await this.link(manager, provider, claims, existing, managed);
          await this.syncRoles(manager, provider, existing, managed, wanted);
          user = existing;
          linked = true;
        } else {
          user = await this.create(manager, provider, claims, claims.email, wanted);
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
    const roles = await this.roles.findByNames(manager, names);
    if (roles.length !== names.length) throw new SsoRefusal('unknown_role');
    return roles;
  }

  private async create(
    manager: EntityManager,
    provider: SsoProviderConfig,
    claims: SsoClaims,
    email: string,
    roles: Role[],
  ): Promise<Pick<User, 'id' | 'email'>> {
    const user = await this.accounts.createFederated(
      manager,
      { email, name: claims.name ?? email, roles },
      { reason: 'sso', provider: provider.id },
    );
    await this.identities.insert(manager, {
      provider: provider.id,
      subject: claims.sub,
      userId: user.id,
    });
    return user;
  }

  private async link(
    manager: EntityManager,
    provider: SsoProviderConfig,
    claims: SsoClaims,
    user: User,
    managed: Role[],
  ): Promise<void> {
    if (!provider.linkVerifiedEmail || !claims.emailVerified) throw new SsoRefusal('email_taken');
    if (user.status !== UserStatus.Active) throw new SsoRefusal('user_inactive', user.id);
    const authority = new Set(managed.flatMap((role) => role.permissions) as Permission[]);
    const held = user.roles.flatMap((role) => role.permissions);
    if (missingPermissions(authority, held).length > 0) {
      throw new SsoRefusal('link_exceeds_provider', user.id);
    }
    if (await this.identities.isLinked(manager, provider.id, user.id)) {
      throw new SsoRefusal('already_linked', user.id);
    }
    await this.identities.insert(manager, {
      provider: provider.id,
      subject: claims.sub,
      userId: user.id,
    });
    await this.audit.record(manager, {
      action: 'user.identity_linked',
      resource: { type: 'user', id: user.id },
      actor: SYSTEM_ACTOR,
      metadata: { provider: provider.id, reason: 'email_verified' },
    });
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
        await this.roleRules.assertAnotherActiveAdmin(manager, user.id);
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
    await this.users.changeRoles(manager, user.id, change.added, change.removed);
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
