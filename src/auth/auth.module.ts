import { Module } from '@nestjs/common';
import { UsersModule } from '../users';
import { AccessResolver } from './access/access-resolver.service';
import { AccessTokens } from './access/access-token';
import { ApiKeyStrategy } from './access/api-key.strategy';
import { ApplicationPassport } from './access/application-passport';
import { AuthenticationFailures } from './access/authentication-failures';
import { AuthenticationGuard } from './access/authentication.guard';
import { JwtAccessStrategy } from './access/jwt.strategy';
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
    ApiKeyStrategy,
    ApiKeysService,
    ApplicationPassport,
    AuthenticationFailures,
    AuthenticationGuard,
    AuthService,
    JwtAccessStrategy,
    LoginAttempts,
    MfaService,
    OtpVerifier,
    SecretBox,
    SessionsService,
  ],
  exports: [AccessTokens, AuthenticationFailures, AuthenticationGuard, SecretBox, SessionsService],
})
export class AuthModule {}
