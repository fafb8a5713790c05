import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { Principal } from '@bastion/rbac';
import { AppConfig } from '../../config/app-config';
import { AccessResolver } from './access-resolver.service';
import { isAccessTokenClaims } from './access-token';

/** Verifies the bearer JWT (HS256) and resolves its principal as it stands now. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    config: AppConfig,
    private readonly access: AccessResolver,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, made once: given a string, jsonwebtoken first tries to parse it as a public
      // key on every request and only then falls back, which cost a fifth of a request's CPU.
      // passport-jwt's types predate KeyObject; it hands the value to jsonwebtoken unchanged.
      secretOrKey: createSecretKey(Buffer.from(config.auth.jwtSecret)) as unknown as Buffer,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(claims: unknown): Promise<Principal | false> {
    if (!isAccessTokenClaims(claims)) return false;
    return (await this.access.forAccessToken(claims.sub, claims.sid)) ?? false;
  }
}
