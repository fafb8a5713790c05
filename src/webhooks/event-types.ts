/** What an endpoint may subscribe to: business actions of the audit log, as API.md lists them. */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.updated',
  'order.cancelled',
  'order.paid',
  'order.fulfilled',
  'order.partially_refunded',
  'order.refunded',
  'payment.succeeded',
  'payment.failed',
  'payment.action_required',
  'refund.succeeded',
  'refund.failed',
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.roles_changed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Subscribes to every event type, present and future. */
export const ALL_EVENTS = '*';

/** Sent only by `POST /v1/webhook-endpoints/:id/test`; nobody subscribes to it. */
export const TEST_EVENT_TYPE = 'webhook.test';

const SUBSCRIBABLE = new Set<string>(WEBHOOK_EVENT_TYPES);

/**
 * Audit actions whose event type has another name. Self-registration creates a user like an
 * admin does: receivers should not have to know both ways in.
 */
const ACTION_ALIASES: Record<string, WebhookEventType> = {
  'user.registered': 'user.created',
};

/** The event type a successful audit action is delivered as; null when it is not subscribable. */
export function eventTypeOf(action: string): WebhookEventType | null {
  if (SUBSCRIBABLE.has(action)) return action as WebhookEventType;
  return ACTION_ALIASES[action] ?? null;
}

/** Audit actions that can become an event, for the dispatcher's query. */
export const DISPATCHED_ACTIONS: readonly string[] = [
  ...WEBHOOK_EVENT_TYPES,
  ...Object.keys(ACTION_ALIASES),
];

export function isSubscribable(type: string): boolean {
  return type === ALL_EVENTS || SUBSCRIBABLE.has(type);
}

export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes(ALL_EVENTS) || events.includes(type);
}
