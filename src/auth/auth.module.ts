import { Module } from '@nestjs/common';
import { UsersModule } from '../users';
import { AccessResolver } from './access/access-resolver.service';
import { AccessTokens } from './access/access-token';
import { AuthenticationFailures } from './access/authentication-failures';
import { AuthenticationGuard } from './access/authentication.guard';
import { UserAccessModule } from './access/user-access.module';
import { AccountService } from './account.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { SecretBox } from './crypto/secret-box';
import { LoginAttempts } from './login-attempts.service';
import { MfaController } from './mfa/mfa.controller';
import { MfaService } from './mfa/mfa.service';
import { OtpVerifier } from './mfa/otp-verifier';
import { SessionsService } from './sessions.service';

/** Login, sessions and tokens, MFA, API keys and the authentication guard, built on users. */
@Module({
  imports: [UsersModule, UserAccessModule],
  controllers: [AuthController, MfaController, ApiKeysController],
  providers: [
    AccessResolver,
    AccessTokens,
    AccountService,
    ApiKeysService,
    AuthenticationFailures,
    AuthenticationGuard,
    AuthService,
    LoginAttempts,
    MfaService,
    OtpVerifier,
    SecretBox,
    SessionsService,
  ],
  exports: [AccessTokens, AuthenticationFailures, AuthenticationGuard, SessionsService],
})
export class AuthModule {}
