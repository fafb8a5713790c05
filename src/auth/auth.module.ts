import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessCache } from './access/access-cache';
import { AccountService } from './account.service';
import { AccessResolver } from './access/access-resolver.service';
import { AccessTokens } from './access/access-token';
import { ApiKeyStrategy } from './access/api-key.strategy';
import { ApplicationPassport } from './access/application-passport';
import { AuthenticationFailures } from './access/authentication-failures';
import { AuthenticationGuard } from './access/authentication.guard';
import { JwtAccessStrategy } from './access/jwt.strategy';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PasswordHasher } from './crypto/password-hasher';
import { SecretBox } from './crypto/secret-box';
import { ApiKey } from './entities/api-key.entity';
import { AuthSession } from './entities/auth-session.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { LoginAttempts } from './login-attempts.service';
import { MfaController } from './mfa/mfa.controller';
import { MfaService } from './mfa/mfa.service';
import { OtpVerifier } from './mfa/otp-verifier';
import { SessionsService } from './sessions.service';

@Module({
  imports: [TypeOrmModule.forFeature([AuthSession, RefreshToken, ApiKey])],
  controllers: [AuthController, MfaController, ApiKeysController],
  providers: [
    AccessCache,
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
    PasswordHasher,
    SecretBox,
    SessionsService,
  ],
  exports: [
    AccessCache,
    AccessTokens,
    AuthenticationFailures,
    AuthenticationGuard,
    PasswordHasher,
    SecretBox,
    SessionsService,
    OtpVerifier,
  ],
})
export class AuthModule {}
