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
      secretOrKey: config.auth.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(claims: unknown): Promise<Principal | false> {
    if (!isAccessTokenClaims(claims)) return false;
    return (await this.access.forAccessToken(claims.sub, claims.sid)) ?? false;
  }
}
