import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditActor, AuditWriter } from '../audit';
import { WebhookOutcome, WebhookReceiptDto } from './dto/webhook.dto';
import { PaymentSettlement } from './payment-settlement.service';
import { PaymentsRepository } from './payments.repository';
import { PaymentsErrorCode, PaymentsException } from './payments.exception';
import { ChargeOutcome, WebhookEvent } from './providers/payment-provider';
import { PaymentProviders } from './providers/payment-providers';
import { WebhookEventsRepository } from './webhook-events.repository';

/** A `payment.failed` event that names no reason: the customer did not pass authentication. */
const DEFAULT_FAILURE_CODE = 'authentication_failed';
const CHARGE_EVENTS: Record<string, ChargeOutcome['status']> = {
  'payment.succeeded': 'succeeded',
  'payment.failed': 'failed',
};

@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly providers: PaymentProviders,
    private readonly settlement: PaymentSettlement,
    private readonly payments: PaymentsRepository,
    private readonly inbox: WebhookEventsRepository,
    private readonly audit: AuditWriter,
  ) {}

  /**
   * Verifies the event, then records it in the inbox and applies it in one transaction: an event
   * id is applied once, and its effect is committed before the 2xx is returned.
   */
  async receive(
    providerName: string,
    rawBody: Buffer | undefined,
    signature: string | undefined,
  ): Promise<WebhookReceiptDto> {
    const provider = this.providers.get(providerName);
    if (!rawBody) throw new PaymentsException(PaymentsErrorCode.InvalidWebhookPayload);
    const event = provider.verifyWebhook(rawBody, signature);
    const actor: AuditActor = { type: 'system', id: null, display: `webhook:${provider.name}` };
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.inbox.recordReceived(manager, provider.name, event))) {
        return { eventId: event.id, outcome: 'duplicate' };
      }
      const outcome = await this.apply(manager, provider.name, event, actor);
      if (outcome === 'ignored') {
        await this.inbox.setOutcome(manager, provider.name, event.id, outcome);
      }
      return { eventId: event.id, outcome };
    });
  }

  private async apply(
    manager: EntityManager,
    provider: string,
    event: WebhookEvent,
    actor: AuditActor,
  ): Promise<WebhookOutcome> {
    const status = CHARGE_EVENTS[event.type];
    if (!status || event.providerRef === null) {
      return this.ignore(manager, provider, event, actor, 'unhandled event type');
    }
    const payment = await this.payments.findByProviderRef(manager, provider, event.providerRef);
    // Not ours yet, perhaps because the charge's own answer is still being stored: a non-2xx
    // rolls the inbox row back, so the provider's next delivery applies it.
    if (!payment) throw new PaymentsException(PaymentsErrorCode.UnknownPaymentReference);
    const settled = await this.settlement.applyCharge(
      manager,
      payment.id,
      {
        status,
        providerRef: payment.providerRef as string,
        failureCode: status === 'failed' ? (event.failureCode ?? DEFAULT_FAILURE_CODE) : null,
      },
      actor,
    );
    if (settled.applied) return 'applied';
    // Late or out of order (e.g. `payment.failed` after `succeeded`): the first outcome stands.
    return this.ignore(manager, provider, event, actor, `payment is already ${settled.row.status}`);
  }

  private async ignore(
    manager: EntityManager,
    provider: string,
    event: WebhookEvent,
    actor: AuditActor,
    reason: string,
  ): Promise<WebhookOutcome> {
    await this.audit.record(manager, {
      action: 'webhook.ignored',
      resource: { type: 'webhook_event', id: event.id },
      metadata: { provider, type: event.type, providerRef: event.providerRef, reason },
      actor,
    });
    return 'ignored';
  }
}
