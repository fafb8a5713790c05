import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditWriter, SYSTEM_ACTOR } from '../audit';
import { AppConfig } from '../config/app-config';
import { PasswordHasher } from './password-hasher';
import { ADMIN_ROLE } from './roles.service';
import { RolesRepository } from './roles.repository';
import { UsersRepository } from './users.repository';

export const DEFAULT_ADMIN_EMAIL = 'admin@bastion.local';

/** On start, creates the first admin when none exists (API.md, Configuration). */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
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
      await this.users.lockAdminBootstrap(manager);
      const [adminRole] = await this.roles.findByNames(manager, [ADMIN_ROLE]);
      if ((await this.users.countLiveHolders(manager, adminRole.id)) > 0) return null;
      if (await this.users.emailTaken(manager, email)) {
        this.logger.error(
          `No admin exists, and ${email} belongs to a user who is not an admin; set ADMIN_EMAIL`,
        );
        return null;
      }
      const admin = await this.users.insert(manager, {
        email,
        name: 'Administrator',
        passwordHash,
        roles: [adminRole],
      });
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
