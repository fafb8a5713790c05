import { HttpStatus } from '@nestjs/common';
import { FieldError, ProblemException } from '@bastion/common';

export enum AuthErrorCode {
  InvalidCredentials = 'invalid-credentials',
  MfaRequired = 'mfa-required',
  InvalidOtp = 'invalid-otp',
  /** `INVALID_TOKEN` of @bastion/rbac, by which the audit log tells a refused credential apart. */
  InvalidToken = 'invalid-token',
  InvalidRefreshToken = 'invalid-refresh-token',
  LoginLocked = 'login-locked',
  TooManyFailedAuthentications = 'too-many-failed-authentications',
  SignupDisabled = 'signup-disabled',
  WrongPassword = 'wrong-password',
  MfaAlreadyEnabled = 'mfa-already-enabled',
  MfaNotEnabled = 'mfa-not-enabled',
  MfaNotSetUp = 'mfa-not-set-up',
  MfaCodeRejected = 'mfa-code-rejected',
  MfaPasswordRejected = 'mfa-password-rejected',
  UserCredentialRequired = 'user-credential-required',
  ApiKeyCannotMintKeys = 'api-key-cannot-mint-keys',
  RevocationUnavailable = 'revocation-unavailable',
}

interface AuthErrorShape {
  status: HttpStatus;
  title: string;
  detail: string;
  /** The problem type's slug when it is not the code itself. */
  slug?: string;
  errors?: FieldError[];
}

function describe(code: AuthErrorCode): AuthErrorShape {
  switch (code) {
    case AuthErrorCode.InvalidCredentials:
      return {
        status: 401,
        title: 'Invalid credentials',
        detail: 'The email or password is wrong.',
      };
    case AuthErrorCode.MfaRequired:
      return {
        status: 401,
        title: 'MFA required',
        detail: 'This account needs a one-time password (otp).',
      };
    case AuthErrorCode.InvalidOtp:
      return {
        status: 401,
        title: 'Invalid one-time password',
        detail: 'The one-time password is wrong or expired.',
      };
    case AuthErrorCode.InvalidToken:
      return {
        status: 401,
        title: 'Unauthorized',
        detail: 'Send a valid access token or API key.',
      };
    case AuthErrorCode.InvalidRefreshToken:
      return {
        status: 401,
        title: 'Invalid refresh token',
        detail: 'The refresh token is invalid, expired or revoked.',
      };
    case AuthErrorCode.LoginLocked:
      return {
        status: 429,
        title: 'Too many failed logins',
        detail: 'Too many failed logins. Retry later.',
      };
    case AuthErrorCode.TooManyFailedAuthentications:
      return {
        status: 429,
        title: 'Too many failed authentications',
        detail: 'Too many requests with invalid credentials from this address. Retry later.',
      };
    case AuthErrorCode.SignupDisabled:
      return { status: 404, title: 'Not found', detail: 'Self-service sign-up is disabled.' };
    case AuthErrorCode.WrongPassword:
      return {
        status: 400,
        title: 'Wrong password',
        detail: 'The current password is wrong.',
        errors: [{ field: 'currentPassword', message: 'is wrong' }],
      };
    case AuthErrorCode.MfaAlreadyEnabled:
      return {
        status: 409,
        title: 'MFA already enabled',
        detail: 'Disable MFA before setting it up again.',
      };
    case AuthErrorCode.MfaNotEnabled:
      return {
        status: 409,
        title: 'MFA not enabled',
        detail: 'MFA is not enabled for this account.',
      };
    case AuthErrorCode.MfaNotSetUp:
      return { status: 409, title: 'MFA not set up', detail: 'Call /v1/auth/mfa/setup first.' };
    // Same problem type as a wrong code at login, but a 400: the caller is authenticated already.
    case AuthErrorCode.MfaCodeRejected:
      return {
        status: 400,
        slug: AuthErrorCode.InvalidOtp,
        title: 'Invalid one-time password',
        detail: 'The one-time password is wrong, expired or already used.',
        errors: [{ field: 'otp', message: 'is wrong, expired or already used' }],
      };
    // A 401, unlike a wrong code: the credential that changing a factor needs is wrong.
    case AuthErrorCode.MfaPasswordRejected:
      return {
        status: 401,
        slug: AuthErrorCode.WrongPassword,
        title: 'Wrong password',
        detail: 'The current password is wrong.',
        errors: [{ field: 'password', message: 'is wrong' }],
      };
    case AuthErrorCode.UserCredentialRequired:
      return {
        status: 403,
        title: 'Forbidden',
        detail: 'Only a signed-in user can do this; API keys cannot.',
      };
    case AuthErrorCode.ApiKeyCannotMintKeys:
      return {
        status: 403,
        title: 'Forbidden',
        detail: 'An API key cannot create API keys; sign in as a user.',
      };
    case AuthErrorCode.RevocationUnavailable:
      return {
        status: 503,
        title: 'Service unavailable',
        detail: 'Sessions cannot be revoked on every instance right now. Retry shortly.',
      };
  }
}

export class AuthException extends ProblemException {
  constructor(
    readonly code: AuthErrorCode,
    headers?: Record<string, string>,
  ) {
    super({ slug: code, ...describe(code), headers });
  }
}
