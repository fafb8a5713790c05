import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Principal } from '@bastion/rbac';
import { AuditWriter } from '../../audit/audit-writer.service';
import { User } from '../../users/entities/user.entity';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { SecretBox } from '../crypto/secret-box';
import { MfaSetupDto } from '../dto/mfa.dto';
import { OtpVerifier } from './otp-verifier';

/**
 * TOTP enrolment of the signed-in user: setup keeps a pending secret until a first code proves
 * the authenticator app has it. Secrets are stored sealed and never audited or logged.
 */
@Injectable()
export class MfaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly otp: OtpVerifier,
    private readonly audit: AuditWriter,
  ) {}

  async setup(principal: Principal): Promise<MfaSetupDto> {
    const userId = userIdOf(principal);
    const secret = this.otp.generateSecret();
    const email = await this.dataSource.transaction(async (manager) => {
      const user = await lockUser(manager, userId);
      if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
      await manager.update(User, { id: userId }, { mfaPendingSecret: this.box.seal(secret) });
      await this.audit.record(manager, {
        action: 'auth.mfa_setup_started',
        resource: { type: 'user', id: userId },
      });
      return user.email ?? userId;
    });
    return { secret, otpauthUrl: this.otp.keyUri(email, secret) };
  }

  async enable(principal: Principal, code: string): Promise<void> {
    const userId = userIdOf(principal);
    const accepted = await this.dataSource.transaction(async (manager) => {
      const user = await lockUser(manager, userId);
      if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
      if (!user.mfaPendingSecret) throw new AuthException(AuthErrorCode.MfaNotSetUp);
      if (!(await this.otp.verifyOnce(userId, user.mfaPendingSecret, code))) return false;
      await manager.update(
        User,
        { id: userId },
        { mfaEnabled: true, mfaSecret: user.mfaPendingSecret, mfaPendingSecret: null },
      );
      await this.audit.record(manager, {
        action: 'auth.mfa_enabled',
        resource: { type: 'user', id: userId },
      });
      return true;
    });
    if (!accepted) await this.reject(userId, 'auth.mfa_enable_failed');
  }

  async disable(principal: Principal, code: string): Promise<void> {
    const userId = userIdOf(principal);
    const accepted = await this.dataSource.transaction(async (manager) => {
      const user = await lockUser(manager, userId);
      if (!user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaNotEnabled);
      if (!(await this.otp.verifyOnce(userId, user.mfaSecret, code))) return false;
      await manager.update(
        User,
        { id: userId },
        { mfaEnabled: false, mfaSecret: null, mfaPendingSecret: null },
      );
      await this.audit.record(manager, {
        action: 'auth.mfa_disabled',
        resource: { type: 'user', id: userId },
      });
      return true;
    });
    if (!accepted) await this.reject(userId, 'auth.mfa_disable_failed');
  }

  private async reject(userId: string, action: string): Promise<never> {
    await this.audit.recordAlone({
      action,
      resource: { type: 'user', id: userId },
      outcome: 'failure',
      metadata: { reason: 'invalid_otp' },
    });
    throw new AuthException(AuthErrorCode.MfaCodeRejected);
  }
}

/** MFA belongs to a person: an API key acting for its creator may not change it. */
function userIdOf(principal: Principal): string {
  if (principal.type !== 'user') throw new AuthException(AuthErrorCode.UserCredentialRequired);
  return principal.userId;
}

/** The user row with its sealed secrets, locked so concurrent setup/enable/disable serialize. */
function lockUser(manager: EntityManager, userId: string): Promise<User> {
  return manager
    .createQueryBuilder(User, 'user')
    .addSelect(['user.mfaSecret', 'user.mfaPendingSecret'])
    .setLock('pessimistic_write')
    .where('user.id = :userId', { userId })
    .getOneOrFail();
}
