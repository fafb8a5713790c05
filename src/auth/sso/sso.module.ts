import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../../users';
import { AuthModule } from '../auth.module';
import { UserIdentity } from './entities/user-identity.entity';
import { SsoAccounts } from './sso-accounts.service';
import { SsoController } from './sso.controller';
import { SsoFlowStore } from './sso-flow-store';
import { SsoProviders } from './sso-providers';
import { SsoService } from './sso.service';
import { UserIdentitiesRepository } from './user-identities.repository';

/** OpenID Connect single sign-on; sessions come from AuthModule like a password login's. */
@Module({
  imports: [TypeOrmModule.forFeature([UserIdentity]), AuthModule, UsersModule],
  controllers: [SsoController],
  providers: [SsoAccounts, SsoFlowStore, SsoProviders, SsoService, UserIdentitiesRepository],
})
export class SsoModule {}
