import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RolesService } from '../../users/roles.service';
import { AuthModule } from '../auth.module';
import { UserIdentity } from './entities/user-identity.entity';
import { SsoAccounts } from './sso-accounts.service';
import { SsoController } from './sso.controller';
import { SsoFlowStore } from './sso-flow-store';
import { SsoProviders } from './sso-providers';
import { SsoService } from './sso.service';

/** OpenID Connect single sign-on; sessions come from AuthModule like a password login's. */
@Module({
  imports: [TypeOrmModule.forFeature([UserIdentity]), AuthModule],
  controllers: [SsoController],
  // RolesService is stateless; SSO needs its last-admin rule, which UsersModule does not export.
  providers: [RolesService, SsoAccounts, SsoFlowStore, SsoProviders, SsoService],
})
export class SsoModule {}
