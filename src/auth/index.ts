export { AuthModule } from './auth.module';
export { AccessTokens } from './access/access-token';
export { AuthenticationFailures } from './access/authentication-failures';
export { AuthenticationGuard, presentedCredential } from './access/authentication.guard';
export { parseApiKey } from './access/access-resolver.service';
export { sha256Hex } from './crypto/token-hash';
export { SecretBox } from './crypto/secret-box';
