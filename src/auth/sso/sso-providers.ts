import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { SsoProviderConfig } from '../../config/sso-config';
import { oidc, OidcConfiguration } from './openid-client';
import { SsoErrorCode, SsoException } from './sso.exception';

/** Seconds to wait for a provider's discovery, token and key endpoints. */
const PROVIDER_TIMEOUT_SECONDS = 5;

/**
 * The configured OpenID Connect providers and, once discovered, their metadata. openid-client
 * keeps each provider's signing keys with its configuration: it fetches them when it first
 * needs them, again when a token names a key it does not know (at most once a minute), and at
 * the latest every five minutes. A failed discovery is not kept, so a provider that was down is
 * tried again on the next sign-in.
 */
@Injectable()
export class SsoProviders {
  private readonly discovered = new Map<string, Promise<OidcConfiguration>>();

  constructor(private readonly config: AppConfig) {}

  list(): SsoProviderConfig[] {
    return this.config.sso.providers;
  }

  get(id: string): SsoProviderConfig | undefined {
    return this.config.sso.providers.find((provider) => provider.id === id);
  }

  /** Where the provider sends the browser back: fixed by PUBLIC_URL, never by the request. */
  callbackUrl(provider: SsoProviderConfig): string {
    return `${this.config.sso.publicUrl}/v1/auth/sso/${provider.id}/callback`;
  }

  async configuration(provider: SsoProviderConfig): Promise<OidcConfiguration> {
    let pending = this.discovered.get(provider.id);
    if (!pending) {
      pending = this.discover(provider);
      this.discovered.set(provider.id, pending);
    }
    try {
      return await pending;
    } catch {
      if (this.discovered.get(provider.id) === pending) this.discovered.delete(provider.id);
      throw new SsoException(SsoErrorCode.ProviderUnavailable);
    }
  }

  /** Drops what was learnt about a provider, keys included; the next sign-in discovers it anew. */
  forget(provider: SsoProviderConfig): void {
    this.discovered.delete(provider.id);
  }

  private async discover(provider: SsoProviderConfig): Promise<OidcConfiguration> {
    const configuration = await oidc.discovery(
      new URL(provider.issuer),
      provider.clientId,
      provider.clientSecret,
      provider.clientSecret ? undefined : oidc.None(),
      {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        // Plain http is refused by configuration in production; elsewhere it serves local IdPs.
        execute: provider.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      },
    );
    // By default an ID token received straight from the token endpoint is trusted on TLS alone;
    // the contract wants its signature checked against the provider's published keys too.
    oidc.enableNonRepudiationChecks(configuration);
    return configuration;
  }
}
