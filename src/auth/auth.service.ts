import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundProblem, requestContext } from '@bastion/common';
import { ALL_PERMISSIONS, Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit';
import { PasswordHasher, User, UsersRepository, UserStatus } from '../users';
import { AuthErrorCode, AuthException } from './auth.exception';
import { LoginDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { LoginAttempts } from './login-attempts.service';
import { OtpVerifier } from './mfa/otp-verifier';
import { SessionsService, TokenPair } from './sessions.service';

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly attempts: LoginAttempts,
    private readonly otp: OtpVerifier,
    private readonly audit: AuditWriter,
  ) {}

  async login(dto: LoginDto): Promise<TokenPair> {
    const ip = requestContext.current()?.ip ?? 'unknown';
    const email = dto.email.trim().toLowerCase();
    await this.attempts.reserve(ip, email);
    const user = await this.users.findCredentialsByEmail(email);
    // Always verify (against a decoy hash when the email is unknown) so both failures cost the same.
    const passwordMatches = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !passwordMatches || user.status !== UserStatus.Active) {
      await this.fail(user, 'invalid_credentials');
      throw new AuthException(AuthErrorCode.InvalidCredentials);
    }
    if (user.mfaEnabled) {
      if (!dto.otp) {
        await this.attempts.release(ip, email);
        throw new AuthException(AuthErrorCode.MfaRequired);
      }
      if (!(await this.otp.verifyOnce(user.id, user.mfaSecret, dto.otp))) {
        await this.fail(user, 'invalid_otp');
        throw new AuthException(AuthErrorCode.InvalidOtp);
      }
    }
    await this.attempts.release(ip, email);
    return this.dataSource.transaction(async (manager) => {
      // The password was checked outside this transaction: a change or a disable that committed
      // since then must win, so the row is locked and compared with what was verified.
      const current = await this.users.lockCredentials(manager, user.id);
      if (current.status !== UserStatus.Active || current.passwordHash !== user.passwordHash) {
        throw new AuthException(AuthErrorCode.InvalidCredentials);
      }
      const pair = await this.sessions.start(manager, user);
      await this.audit.record(manager, {
        action: 'auth.login_succeeded',
        resource: { type: 'user', id: user.id },
        actor: { type: 'user', id: user.id, display: user.email },
      });
      return pair;
    });
  }

  refresh(refreshToken: string): Promise<TokenPair> {
    return this.sessions.rotate(refreshToken);
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.type !== 'user') throw new AuthException(AuthErrorCode.UserCredentialRequired);
    const sessionIds = principal.sessionId ? [principal.sessionId] : [];
    await this.dataSource.transaction(async (manager) => {
      await this.sessions.revokeInTransaction(manager, sessionIds, 'logout');
      await this.audit.record(manager, {
        action: 'auth.logged_out',
        resource: { type: 'session', id: principal.sessionId ?? null },
      });
    });
    await this.sessions.propagate(sessionIds);
  }

  async me(principal: Principal): Promise<MeDto> {
    const user = await this.users.findView(principal.userId);
    if (!user) throw new NotFoundProblem('User');
    return {
      actorType: principal.type,
      user,
      roles: principal.roles,
      permissions: ALL_PERMISSIONS.filter((permission) => principal.permissions.has(permission)),
    };
  }

  private async fail(user: User | null, reason: string): Promise<void> {
    await this.audit.recordAlone({
      action: 'auth.login_failed',
      resource: { type: 'user', id: user?.id ?? null },
      outcome: 'failure',
      metadata: { reason },
    });
  }
}
