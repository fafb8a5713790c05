import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WebhookOutcome } from './dto/webhook.dto';
import { WebhookEvent } from './providers/payment-provider';

/** The inbox of provider events: each event id is applied once. */
@Injectable()
export class WebhookEventsRepository {
  /**
   * Records the event as applied; false when it was received before. A concurrent delivery of the
   * same event waits here on the primary key until the first one's transaction ends.
   */
  async recordReceived(
    manager: EntityManager,
    provider: string,
    event: WebhookEvent,
  ): Promise<boolean> {
    const applied: WebhookOutcome = 'applied';
    const inserted = await manager.query<unknown[]>(
      `INSERT INTO webhook_events (provider, event_id, type, outcome) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id`,
      [provider, event.id, event.type, applied],
    );
    return inserted.length > 0;
  }

  async setOutcome(
    manager: EntityManager,
    provider: string,
    eventId: string,
    outcome: WebhookOutcome,
  ): Promise<void> {
    await manager.query(
      `UPDATE webhook_events SET outcome = $3 WHERE provider = $1 AND event_id = $2`,
      [provider, eventId, outcome],
    );
  }
}
