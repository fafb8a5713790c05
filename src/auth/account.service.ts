import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit';
import { AppConfig } from '../config/app-config';
import { PasswordHasher, UserDto, UsersRepository, UsersService } from '../users';
import { AuthErrorCode, AuthException } from './auth.exception';
import { ChangePasswordDto } from './dto/change-password.dto';
import { RegisterDto } from './dto/register.dto';
import { SessionsService } from './sessions.service';

/** The caller's own account: self-service sign-up and password changes. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly usersService: UsersService,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly audit: AuditWriter,
  ) {}

  register(dto: RegisterDto): Promise<UserDto> {
    if (!this.config.auth.signupEnabled) throw new AuthException(AuthErrorCode.SignupDisabled);
    return this.usersService.register(dto);
  }

  /** Sets a new password and signs out every other session of the user. */
  async changePassword(principal: Principal, dto: ChangePasswordDto): Promise<void> {
    if (principal.type !== 'user') throw new AuthException(AuthErrorCode.UserCredentialRequired);
    const current = await this.users.getWithPasswordHash(principal.userId);
    if (!(await this.hasher.verify(current.passwordHash, dto.currentPassword))) {
      await this.audit.recordAlone({
        action: 'auth.password_change_failed',
        resource: { type: 'user', id: principal.userId },
        outcome: 'failure',
        metadata: { reason: 'wrong_current_password' },
      });
      throw new AuthException(AuthErrorCode.WrongPassword);
    }
    const passwordHash = await this.hasher.hash(dto.newPassword);
    const revoked = await this.dataSource.transaction(async (manager) => {
      await this.users.setPasswordHash(manager, principal.userId, passwordHash);
      const others = await this.sessions.revokeOthers(
        manager,
        principal.userId,
        principal.sessionId,
        'password_changed',
      );
      await this.audit.record(manager, {
        action: 'auth.password_changed',
        resource: { type: 'user', id: principal.userId },
        metadata: { revokedSessions: others.length },
      });
      return others;
    });
    await this.sessions.propagate(revoked);
  }
}
