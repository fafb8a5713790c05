import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserAccess } from '../../users';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import { ApiKey } from '../entities/api-key.entity';
import { AuthSession } from '../entities/auth-session.entity';
import { RefreshToken } from '../entities/refresh-token.entity';
import { SessionsRepository } from '../sessions.repository';
import { AccessCache } from './access-cache';
import { UserAccessRevoker } from './user-access-revoker';

/**
 * Sessions, API keys and the cached grants, and `UserAccess` over them. Global so that the users
 * module receives `UserAccess` without importing auth: auth depends on users, never the reverse.
 * It imports nothing of users but the port's type.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuthSession, RefreshToken, ApiKey])],
  providers: [
    AccessCache,
    ApiKeysRepository,
    SessionsRepository,
    { provide: UserAccess, useClass: UserAccessRevoker },
  ],
  exports: [AccessCache, ApiKeysRepository, SessionsRepository, UserAccess],
})
export class UserAccessModule {}
