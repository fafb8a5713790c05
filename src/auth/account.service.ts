import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit/audit-writer.service';
import { AppConfig } from '../config/app-config';
import { toUserDto, UserDto } from '../users/dto/user.dto';
import { Role } from '../users/entities/role.entity';
import { User, UserStatus } from '../users/entities/user.entity';
import { AuthErrorCode, AuthException } from './auth.exception';
import { PasswordHasher } from './crypto/password-hasher';
import { ChangePasswordDto } from './dto/change-password.dto';
import { RegisterDto } from './dto/register.dto';
import { SessionsService } from './sessions.service';

const SIGN_UP_ROLE = 'customer';
const UNIQUE_VIOLATION = '23505';

/** The caller's own account: self-service sign-up and password changes. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly audit: AuditWriter,
  ) {}

  async register(dto: RegisterDto): Promise<UserDto> {
    if (!this.config.auth.signupEnabled) throw new AuthException(AuthErrorCode.SignupDisabled);
    const email = dto.email.toLowerCase();
    const passwordHash = await this.hasher.hash(dto.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const taken = await manager
          .createQueryBuilder(User, 'user')
          .where('lower(user.email) = :email', { email })
          .getExists();
        if (taken) throw new AuthException(AuthErrorCode.EmailTaken);
        const role = await manager.findOneByOrFail(Role, { name: SIGN_UP_ROLE });
        const user = await manager.save(
          manager.create(User, {
            email,
            name: dto.name,
            passwordHash,
            status: UserStatus.Active,
            mfaEnabled: false,
            roles: [role],
          }),
        );
        await this.audit.record(manager, {
          action: 'user.registered',
          resource: { type: 'user', id: user.id },
          actor: { type: 'user', id: user.id, display: email },
          changes: { before: null, after: { email, name: dto.name, roles: [SIGN_UP_ROLE] } },
        });
        return toUserDto(user);
      });
    } catch (error) {
      // Two sign-ups racing for one email: the unique index decides, the loser gets the same 409.
      if (isUniqueViolation(error)) {
        throw new AuthException(AuthErrorCode.EmailTaken);
      }
      throw error;
    }
  }

  /** Sets a new password and signs out every other session of the user. */
  async changePassword(principal: Principal, dto: ChangePasswordDto): Promise<void> {
    if (principal.type !== 'user') throw new AuthException(AuthErrorCode.UserCredentialRequired);
    const current = await this.dataSource
      .getRepository(User)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id: principal.userId })
      .getOneOrFail();
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
      await manager.update(User, { id: principal.userId }, { passwordHash });
      const others = await this.sessions.activeSessionIds(
        manager,
        principal.userId,
        principal.sessionId,
      );
      await this.sessions.revokeInTransaction(manager, others, 'password_changed');
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

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: unknown } | undefined)?.code === UNIQUE_VIOLATION
  );
}
