import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AdvisoryLock } from '@bastion/database';
import { AuditWriter, SYSTEM_ACTOR } from '../audit/audit-writer.service';
import { PasswordHasher } from '../auth/crypto/password-hasher';
import { AppConfig } from '../config/app-config';
import { Role } from './entities/role.entity';
import { User, UserStatus } from './entities/user.entity';

export const DEFAULT_ADMIN_EMAIL = 'admin@bastion.local';

/** On start, creates the first admin when none exists (API.md, Configuration). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditWriter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.admin.email ?? DEFAULT_ADMIN_EMAIL;
    const generated = this.config.admin.password ? null : randomBytes(18).toString('base64url');
    const password = this.config.admin.password ?? (generated as string);
    const passwordHash = await this.hasher.hash(password);
    const created = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [AdvisoryLock.AdminBootstrap]);
      const adminRole = await manager.findOneByOrFail(Role, { name: 'admin' });
      const admins = await manager
        .createQueryBuilder(User, 'user')
        .innerJoin('user.roles', 'role', 'role.id = :roleId', { roleId: adminRole.id })
        .where('user.status <> :deleted', { deleted: UserStatus.Deleted })
        .getCount();
      if (admins > 0) return null;
      const taken = await manager
        .createQueryBuilder(User, 'user')
        .where('lower(user.email) = lower(:email)', { email })
        .getOne();
      if (taken) {
        this.logger.error(
          `No admin exists, and ${email} belongs to a user who is not an admin; set ADMIN_EMAIL`,
        );
        return null;
      }
      const admin = await manager.save(
        manager.create(User, {
          email,
          name: 'Administrator',
          passwordHash,
          status: UserStatus.Active,
          mfaEnabled: false,
          roles: [adminRole],
        }),
      );
      await this.audit.record(manager, {
        action: 'user.created',
        resource: { type: 'user', id: admin.id },
        actor: SYSTEM_ACTOR,
        metadata: { reason: 'bootstrap_admin', email },
      });
      return admin;
    });
    if (!created) return;
    this.logger.log(`Created the bootstrap admin ${email}`);
    if (generated) {
      // Printed once as plain text, deliberately not as a structured log line with fields.
      process.stdout.write(
        `\nBootstrap admin created: ${email} / ${generated}\nChange this password after the first login.\n\n`,
      );
    }
  }
}
