import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { auditLogExposure } from '@bastion/database';
import { AppConfig } from '../../config/app-config';

/**
 * In production, says loudly at start-up when the audit log's tamper evidence rests on the
 * server's own database credentials: whoever holds them could then rewrite the log, and only the
 * anchors outside the database would show it.
 */
@Injectable()
export class AuditRoleCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditLog');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.production) return;
    const reasons = await this.exposure();
    if (reasons.length === 0) return;
    this.logger.warn(
      { reasons },
      `AUDIT LOG NOT PROTECTED FROM THE SERVER'S DATABASE ROLE: ${reasons.join('; ')}. ` +
        'Run migrations as an owner role (MIGRATION_DATABASE_URL) and the server as a role that ' +
        'owns nothing (DATABASE_URL); see docs/audit.md, "Database roles".',
    );
  }

  async exposure(): Promise<string[]> {
    const reasons = await auditLogExposure(this.dataSource.manager);
    if (!this.config.database.migrationUrl) {
      reasons.push('MIGRATION_DATABASE_URL is unset, so DATABASE_URL applies the migrations');
    }
    return reasons;
  }
}
