import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@bastion/common';
import type { ProblemInit } from '@bastion/common';

export enum SsoErrorCode {
  UnknownProvider = 'sso-provider-not-found',
  RedirectUriNotAllowed = 'redirect-uri-not-allowed',
  InvalidState = 'invalid-sso-state',
  ProviderUnavailable = 'sso-provider-unavailable',
  InvalidCode = 'invalid-sso-code',
  PasswordLoginDisabled = 'password-login-disabled',
}

/** Seconds a client should wait before trying an identity provider that did not answer again. */
export const PROVIDER_RETRY_AFTER_SECONDS = 30;

function describe(code: SsoErrorCode): ProblemInit {
  switch (code) {
    case SsoErrorCode.UnknownProvider:
      return {
        status: HttpStatus.NOT_FOUND,
        slug: code,
        title: 'Not found',
        detail: 'No single sign-on provider has this id.',
      };
    case SsoErrorCode.RedirectUriNotAllowed:
      return {
        status: HttpStatus.BAD_REQUEST,
        slug: 'validation-failed',
        title: 'Validation failed',
        detail: "redirectUri is not in this provider's allow-list.",
        errors: [{ field: 'redirectUri', message: "is not in the provider's allow-list" }],
      };
    case SsoErrorCode.InvalidState:
      return {
        status: HttpStatus.BAD_REQUEST,
        slug: code,
        title: 'Invalid sign-in state',
        detail: 'This sign-in is unknown, expired or already finished. Start again.',
      };
    case SsoErrorCode.ProviderUnavailable:
      return {
        status: HttpStatus.SERVICE_UNAVAILABLE,
        slug: code,
        title: 'Identity provider unavailable',
        detail: 'The identity provider did not answer. Retry shortly.',
        headers: { 'Retry-After': String(PROVIDER_RETRY_AFTER_SECONDS) },
      };
    case SsoErrorCode.InvalidCode:
      return {
        status: HttpStatus.UNAUTHORIZED,
        slug: code,
        title: 'Invalid sign-in code',
        detail: 'The code is unknown, expired or already used.',
      };
    case SsoErrorCode.PasswordLoginDisabled:
      return {
        status: HttpStatus.FORBIDDEN,
        slug: code,
        title: 'Password login disabled',
        detail: 'Sign in with single sign-on (GET /v1/auth/sso/providers).',
      };
  }
}

export class SsoException extends ProblemException {
  constructor(readonly code: SsoErrorCode) {
    super(describe(code));
  }
}
