import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requestContext } from '@bastion/common';
import { Principal } from '@bastion/rbac';
import { AuditWriter } from '../../audit';
import { PasswordHasher, User, UsersRepository } from '../../users';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { SecretBox } from '../crypto/secret-box';
import { MfaCodeDto, MfaSetupDto } from '../dto/mfa.dto';
import { LoginAttempts } from '../login-attempts.service';
import { SessionsService } from '../sessions.service';
import { OtpVerifier } from './otp-verifier';

type MfaChange = 'enable' | 'disable';

const FAILED_ACTIONS: Record<MfaChange, string> = {
  enable: 'auth.mfa_enable_failed',
  disable: 'auth.mfa_disable_failed',
};

/**
 * TOTP enrolment of the signed-in user: setup keeps a pending secret until a first code proves
 * the authenticator app has it. Enabling and disabling also need the current password, so a
 * stolen session alone cannot change a factor. Secrets are stored sealed and never audited or
 * logged.
 */
@Injectable()
export class MfaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly box: SecretBox,
    private readonly otp: OtpVerifier,
    private readonly hasher: PasswordHasher,
    private readonly attempts: LoginAttempts,
    private readonly sessions: SessionsService,
    private readonly audit: AuditWriter,
  ) {}

  async setup(principal: Principal): Promise<MfaSetupDto> {
    const userId = userIdOf(principal);
    const secret = this.otp.generateSecret();
    const email = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockCredentials(manager, userId);
      if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
      await this.users.setMfa(manager, userId, { mfaPendingSecret: this.box.seal(secret) });
      await this.audit.record(manager, {
        action: 'auth.mfa_setup_started',
        resource: { type: 'user', id: userId },
      });
      return user.email ?? userId;
    });
    return { secret, otpauthUrl: this.otp.keyUri(email, secret) };
  }

  /** Turns MFA on and signs out every other session of the user, which predates the factor. */
  async enable(principal: Principal, dto: MfaCodeDto): Promise<void> {
    const userId = userIdOf(principal);
    const passwordHash = await this.checkPassword(userId, dto.password, 'enable');
    const revoked = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockCredentials(manager, userId);
      assertPasswordUnchanged(user, passwordHash);
      if (user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaAlreadyEnabled);
      if (!user.mfaPendingSecret) throw new AuthException(AuthErrorCode.MfaNotSetUp);
      if (!(await this.otp.verifyOnce(userId, user.mfaPendingSecret, dto.otp))) return null;
      await this.users.setMfa(manager, userId, {
        mfaEnabled: true,
        mfaSecret: user.mfaPendingSecret,
        mfaPendingSecret: null,
      });
      const others = await this.sessions.revokeOthers(
        manager,
        userId,
        principal.sessionId,
        'mfa_enabled',
      );
      await this.audit.record(manager, {
        action: 'auth.mfa_enabled',
        resource: { type: 'user', id: userId },
        metadata: { revokedSessions: others.length },
      });
      return others;
    });
    if (!revoked) return this.reject(userId, 'enable', 'invalid_otp');
    await this.sessions.propagate(revoked);
  }

  async disable(principal: Principal, dto: MfaCodeDto): Promise<void> {
    const userId = userIdOf(principal);
    const passwordHash = await this.checkPassword(userId, dto.password, 'disable');
    const accepted = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockCredentials(manager, userId);
      assertPasswordUnchanged(user, passwordHash);
      if (!user.mfaEnabled) throw new AuthException(AuthErrorCode.MfaNotEnabled);
      if (!(await this.otp.verifyOnce(userId, user.mfaSecret, dto.otp))) return false;
      await this.users.setMfa(manager, userId, {
        mfaEnabled: false,
        mfaSecret: null,
        mfaPendingSecret: null,
      });
      await this.audit.record(manager, {
        action: 'auth.mfa_disabled',
        resource: { type: 'user', id: userId },
      });
      return true;
    });
    if (!accepted) await this.reject(userId, 'disable', 'invalid_otp');
  }

  /**
   * Checks the current password as login does: a failure counts towards the same per-IP and
   * per-email lockout, so this route is no better a password oracle than login. Returns the
   * hash that was verified.
   */
  private async checkPassword(
    userId: string,
    password: string,
    change: MfaChange,
  ): Promise<string | null> {
    const user = await this.users.getWithPasswordHash(userId);
    const ip = requestContext.current()?.ip ?? 'unknown';
    const email = (user.email ?? userId).toLowerCase();
    await this.attempts.reserve(ip, email);
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      return this.reject(userId, change, 'wrong_password');
    }
    await this.attempts.release(ip, email);
    return user.passwordHash;
  }

  private async reject(
    userId: string,
    change: MfaChange,
    reason: 'invalid_otp' | 'wrong_password',
  ): Promise<never> {
    await this.audit.recordAlone({
      action: FAILED_ACTIONS[change],
      resource: { type: 'user', id: userId },
      outcome: 'failure',
      metadata: { reason },
    });
    throw new AuthException(
      reason === 'wrong_password'
        ? AuthErrorCode.MfaPasswordRejected
        : AuthErrorCode.MfaCodeRejected,
    );
  }
}

/** MFA belongs to a person: an API key acting for its creator may not change it. */
function userIdOf(principal: Principal): string {
  if (principal.type !== 'user') throw new AuthException(AuthErrorCode.UserCredentialRequired);
  return principal.userId;
}

/** The password was checked before the lock: a password change that committed since then wins. */
function assertPasswordUnchanged(user: User, verifiedHash: string | null): void {
  if (user.passwordHash !== verifiedHash) {
    throw new AuthException(AuthErrorCode.MfaPasswordRejected);
  }
}
