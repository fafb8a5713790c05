export type ChargeStatus = 'succeeded' | 'failed' | 'requires_action';
export type RefundStatus = 'succeeded' | 'failed';

export interface ProviderOutcome<Status extends string> {
  status: Status;
  providerRef: string;
  failureCode: string | null;
}

export type ChargeOutcome = ProviderOutcome<ChargeStatus>;
export type RefundOutcome = ProviderOutcome<RefundStatus>;

export interface ChargeRequest {
  /** Our payment id: the provider's idempotency key, so a retried or reconciled charge is one charge. */
  key: string;
  amount: number;
  currency: string;
  /** A provider token for the card; card data never reaches this server. */
  token: string;
}

export interface RefundRequest {
  /** Our refund id, used as the provider's idempotency key. */
  key: string;
  paymentRef: string;
  amount: number;
  currency: string;
}

/** A provider event, after its signature was checked. */
export interface WebhookEvent {
  id: string;
  type: string;
  providerRef: string | null;
  failureCode: string | null;
}

/**
 * What the payments module needs from a payment provider. A real provider is one class
 * implementing this, registered in `PaymentProviders` with its configuration.
 */
export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /**
   * The outcome of the charge made with this key. A charge the provider never received is
   * closed as failed (`abandoned`), so that a late arrival of it can no longer capture money.
   */
  chargeOutcome(key: string): Promise<ChargeOutcome>;
  /** Like `chargeOutcome`, for a refund. */
  refundOutcome(key: string): Promise<RefundOutcome>;
  /** Checks the signature over the raw bytes and parses the event; throws a 400 otherwise. */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): WebhookEvent;
}
