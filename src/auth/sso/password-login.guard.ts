import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuditWriter } from '../../audit';
import { AppConfig } from '../../config/app-config';
import { DEFAULT_ADMIN_EMAIL } from '../../users';
import { SsoErrorCode, SsoException } from './sso.exception';

/**
 * With `SSO_ONLY=true`, password login is off for everyone but the bootstrap admin, the way in
 * when the identity provider is down or misconfigured. Checked before the password, so that the
 * answer says nothing about the account.
 */
@Injectable()
export class PasswordLoginGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly audit: AuditWriter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.sso.only) return true;
    const body = context.switchToHttp().getRequest<FastifyRequest>().body as
      { email?: unknown } | undefined;
    const email = typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
    const admin = (this.config.admin.email ?? DEFAULT_ADMIN_EMAIL).toLowerCase();
    if (email === admin) return true;
    await this.audit.recordAlone({
      action: 'auth.login_failed',
      resource: { type: 'user', id: null },
      outcome: 'failure',
      metadata: { reason: 'password_login_disabled' },
    });
    throw new SsoException(SsoErrorCode.PasswordLoginDisabled);
  }
}
