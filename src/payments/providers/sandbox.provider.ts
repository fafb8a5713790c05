import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@bastion/database';
import { PaymentsErrorCode, PaymentsException } from '../payments.exception';
import {
  ChargeOutcome,
  ChargeRequest,
  ChargeStatus,
  PaymentProvider,
  ProviderOutcome,
  RefundOutcome,
  RefundRequest,
  WebhookEvent,
} from './payment-provider';
import { checkSignature } from './webhook-signature';

export const SANDBOX_PROVIDER = 'sandbox';

/** API.md's deterministic card tokens; any other token is declined as invalid. */
const TOKEN_OUTCOMES: Record<string, { status: ChargeStatus; failureCode: string | null }> = {
  tok_visa: { status: 'succeeded', failureCode: null },
  tok_declined: { status: 'failed', failureCode: 'card_declined' },
  tok_insufficient_funds: { status: 'failed', failureCode: 'insufficient_funds' },
  tok_3ds: { status: 'requires_action', failureCode: null },
};
const INVALID_TOKEN = { status: 'failed' as const, failureCode: 'invalid_token' };
/** What a charge or refund the provider never received becomes once someone asks about it. */
const ABANDONED = { status: 'failed' as const, failureCode: 'abandoned' };
const HANDLED_EVENTS = new Set(['payment.succeeded', 'payment.failed']);

const OPERATION_COLUMNS = 'provider_ref, status, failure_code';
/**
 * The first request for a key writes its outcome, a later one reads it back, in one statement.
 * A row another request inserts while this one runs is not in this statement's snapshot:
 * `READ_OPERATION` then reads it.
 */
const RECORD_OPERATION = `WITH inserted AS (
    INSERT INTO sandbox_operations (key, kind, provider_ref, status, failure_code)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING ${OPERATION_COLUMNS})
  SELECT ${OPERATION_COLUMNS} FROM inserted
  UNION ALL
  SELECT ${OPERATION_COLUMNS} FROM sandbox_operations
   WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM inserted)`;
const READ_OPERATION = `SELECT ${OPERATION_COLUMNS} FROM sandbox_operations WHERE key = $1`;

interface OperationRow {
  provider_ref: string;
  status: string;
  failure_code: string | null;
}

/**
 * The built-in provider for development and tests. It keeps its own ledger (`sandbox_operations`)
 * keyed by our payment or refund id, as a real provider keeps its state on its side: that is what
 * lets a payment left pending by a crash be settled with the provider's answer, while we store
 * only the provider reference and never the card token. Its statements run on their own, never
 * inside one of our transactions, exactly like a call to a remote provider.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = SANDBOX_PROVIDER;

  constructor(
    private readonly dataSource: DataSource,
    private readonly webhookSecret: string,
    private readonly latencyMs = 0,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const outcome = TOKEN_OUTCOMES[request.token] ?? INVALID_TOKEN;
    // The request on its way: a crash meanwhile leaves a charge the provider never received.
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return this.record(request.key, 'charge', outcome) as Promise<ChargeOutcome>;
  }

  refund(request: RefundRequest): Promise<RefundOutcome> {
    return this.record(request.key, 'refund', {
      status: 'succeeded',
      failureCode: null,
    }) as Promise<RefundOutcome>;
  }

  chargeOutcome(key: string): Promise<ChargeOutcome> {
    return this.record(key, 'charge', ABANDONED) as Promise<ChargeOutcome>;
  }

  refundOutcome(key: string): Promise<RefundOutcome> {
    return this.record(key, 'refund', ABANDONED) as Promise<RefundOutcome>;
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): WebhookEvent {
    const check = checkSignature(this.webhookSecret, rawBody, signatureHeader);
    if (check !== 'valid') throw new PaymentsException(PaymentsErrorCode.InvalidSignature, check);
    return parseEvent(rawBody);
  }

  /** The first request for a key decides its outcome; later ones read it back (idempotency). */
  private async record(
    key: string,
    kind: 'charge' | 'refund',
    outcome: { status: string; failureCode: string | null },
  ): Promise<ProviderOutcome<string>> {
    const prefix = kind === 'charge' ? 'ch_sbx_' : 're_sbx_';
    const [recorded] = await preparedQuery<OperationRow>(this.dataSource, RECORD_OPERATION, [
      key,
      kind,
      prefix + randomBytes(12).toString('hex'),
      outcome.status,
      outcome.failureCode,
    ]);
    const row =
      recorded ?? (await preparedQuery<OperationRow>(this.dataSource, READ_OPERATION, [key]))[0];
    return { status: row.status, providerRef: row.provider_ref, failureCode: row.failure_code };
  }
}

function parseEvent(rawBody: Buffer): WebhookEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new PaymentsException(PaymentsErrorCode.InvalidWebhookPayload);
  }
  const event = parsed as { id?: unknown; type?: unknown; data?: Record<string, unknown> };
  const isText = (value: unknown, max: number): value is string =>
    typeof value === 'string' && value.length > 0 && value.length <= max;
  if (!isText(event.id, 255) || !isText(event.type, 64)) {
    throw new PaymentsException(PaymentsErrorCode.InvalidWebhookPayload);
  }
  const providerRef = event.data?.providerRef;
  const failureCode = event.data?.failureCode;
  if (HANDLED_EVENTS.has(event.type) && !isText(providerRef, 255)) {
    throw new PaymentsException(PaymentsErrorCode.InvalidWebhookPayload);
  }
  return {
    id: event.id,
    type: event.type,
    providerRef: isText(providerRef, 255) ? providerRef : null,
    failureCode: isText(failureCode, 64) ? failureCode : null,
  };
}
