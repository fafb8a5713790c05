export { WebhooksModule } from './webhooks.module';
export { WEBHOOK_EVENT_TYPES } from './event-types';
export type { WebhookEventType } from './event-types';
