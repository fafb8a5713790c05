export {
  BastionClient,
  type Api,
  type BastionClientOptions,
  type MoneyCallOptions,
  type SignInInput,
  type TokenPair,
} from './client';
export { BastionProblem, type FieldError, type ProblemDetails } from './problem';
export {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type VerifyOptions,
  type WebhookHeaders,
} from './webhooks';
export type { components, operations, paths } from './generated/openapi';
