import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Principal } from '@bastion/rbac';
import { AccessResolver } from './access-resolver.service';
import { ApplicationPassport } from './application-passport';
import { presentedCredential } from './authentication.guard';

type VerifyApiKey = (
  key: string,
  done: (error: unknown, principal?: Principal | false | null) => void,
) => void;

/**
 * The `X-API-Key` header as a passport strategy. It declines when an Authorization header is
 * present, so that a bearer token, valid or not, is never bypassed by a key sent beside it.
 */
class ApiKeyHeaderStrategy extends passport.Strategy {
  constructor(
    readonly registry: ApplicationPassport,
    private readonly verify: VerifyApiKey,
  ) {
    super();
  }

  override authenticate(request: Parameters<typeof presentedCredential>[0]): void {
    const credential = presentedCredential(request);
    if (credential?.type !== 'api_key') return this.fail(401);
    this.verify(credential.key, (error, principal) => {
      if (error) this.error(error);
      else if (principal) this.success(principal);
      else this.fail(401);
    });
  }
}

/** API keys: unknown, wrong, expired and revoked keys are refused, and so is a disabled creator. */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(ApiKeyHeaderStrategy, 'api-key') {
  constructor(
    registry: ApplicationPassport,
    private readonly access: AccessResolver,
  ) {
    super(registry);
  }

  /** Where PassportStrategy registers this strategy (its default is the process-wide passport). */
  getPassportInstance(): ApplicationPassport {
    return this.registry;
  }

  validate(key: string): Promise<Principal | null> {
    return this.access.forApiKey(key);
  }
}
