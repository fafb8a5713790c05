import { Identity1763800000000 } from './1763800000000-identity';
import { BuiltInRoles1763800000001 } from './1763800000001-built-in-roles';
import { AuditEvents1763800000002 } from './1763800000002-audit-events';
import { AuditChain1763800000010 } from './1763800000010-audit-chain';
import { Orders1763800000020 } from './1763800000020-orders';
import { Payments1763800000030 } from './1763800000030-payments';
import { IdempotencyLease1763800000040 } from './1763800000040-idempotency-lease';
import { OrderItemsInline1763800000050 } from './1763800000050-order-items-inline';
import { AuditByRequest1763800000060 } from './1763800000060-audit-by-request';
import { SsoIdentities1763800000160 } from './1763800000160-sso-identities';
import { Webhooks1763800000170 } from './1763800000170-webhooks';
import { PaymentsInFlight1763800000300 } from './1763800000300-payments-in-flight';
import { WebhookDueByEndpoint1763800000410 } from './1763800000410-webhook-due-by-endpoint';

/** Every migration, in order. */
export const migrations = [
  Identity1763800000000,
  BuiltInRoles1763800000001,
  AuditEvents1763800000002,
  AuditChain1763800000010,
  Orders1763800000020,
  Payments1763800000030,
  IdempotencyLease1763800000040,
  OrderItemsInline1763800000050,
  AuditByRequest1763800000060,
  SsoIdentities1763800000160,
  Webhooks1763800000170,
  PaymentsInFlight1763800000300,
  WebhookDueByEndpoint1763800000410,
];
