import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey, KeyObject } from 'node:crypto';
import { Strategy as JwtStrategy, VerifyCallback } from 'passport-jwt';
import { Principal } from '@bastion/rbac';
import { AppConfig } from '../../config/app-config';
import { AccessResolver } from './access-resolver.service';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, isAccessTokenClaims } from './access-token';
import { ApplicationPassport } from './application-passport';
import { presentedCredential } from './authentication.guard';
import { rememberVerifiedTokens } from './remembered-jwt-verifier';

/**
 * passport-jwt for access tokens, holding the application's registry so that PassportStrategy
 * registers it there: PassportStrategy registers from inside its constructor, before a subclass
 * constructor could hand the registry over.
 */
class AccessTokenJwtStrategy extends JwtStrategy {
  readonly registry: ApplicationPassport;

  constructor(registry: ApplicationPassport, key: KeyObject, verify: VerifyCallback) {
    super(
      {
        jwtFromRequest: (request: Parameters<typeof presentedCredential>[0]) => {
          const credential = presentedCredential(request);
          return credential?.type === 'bearer' ? (credential.token ?? null) : null;
        },
        // jsonwebtoken turns a string secret into a key on every verification (trying it as a
        // PEM public key first); a KeyObject is used as it is. passport-jwt's types predate it.
        secretOrKey: key as unknown as Buffer,
        algorithms: ['HS256'],
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
      },
      verify,
    );
    this.registry = registry;
  }
}

/** Bearer access tokens: signature, expiry, issuer and audience, then the session as it is now. */
@Injectable()
export class JwtAccessStrategy extends PassportStrategy(AccessTokenJwtStrategy, 'jwt') {
  constructor(
    registry: ApplicationPassport,
    config: AppConfig,
    private readonly access: AccessResolver,
  ) {
    super(registry, createSecretKey(Buffer.from(config.auth.jwtSecret)));
    rememberVerifiedTokens();
  }

  /** Where PassportStrategy registers this strategy (its default is the process-wide passport). */
  getPassportInstance(): ApplicationPassport {
    return this.registry;
  }

  validate(payload: unknown): Promise<Principal | null> | null {
    return isAccessTokenClaims(payload)
      ? this.access.forAccessToken(payload.sub, payload.sid)
      : null;
  }
}
