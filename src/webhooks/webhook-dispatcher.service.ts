import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SerialPasses } from '@bastion/common';
import { AdvisoryLock } from '@bastion/database';
import { DeliveryWorker } from './delivery-worker.service';
import { eventTypeOf, subscribes } from './event-types';
import { ResourceReader } from './resource-reader';
import { WebhookClock } from './webhook-clock';

const INTERVAL_MS = 250;
const BATCH_SIZE = 500;

interface SealedEvent {
  id: string;
  seq: string;
  occurred_at: Date;
  action: string;
  outcome: string;
  resource_type: string;
  resource_id: string | null;
  metadata: Record<string, unknown>;
}

interface EnabledEndpoint {
  id: string;
  events: string[];
  created_at: Date;
}

interface NewDelivery {
  endpointId: string;
  eventId: string;
  type: string;
  body: string;
  occurredAt: Date;
}

/**
 * Turns sealed audit events into deliveries. The chain holds only committed changes, each once,
 * in `seq` order, so a rolled-back change never gets here and a cursor over `seq` misses nothing.
 * The deliveries of a batch and the cursor past it commit together: a crash repeats the batch or
 * none of it. Resources are read before the transaction (through their services, which use their
 * own connections); the transaction then takes the dispatcher lock and checks that the cursor has
 * not moved, so two instances never dispatch one batch twice.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly passes = new SerialPasses(
    INTERVAL_MS,
    () => this.dispatchAll(),
    (error) => this.logger.warn({ err: error }, 'Webhook dispatch failed'),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly resources: ResourceReader,
    private readonly clock: WebhookClock,
    private readonly worker: DeliveryWorker,
  ) {}

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.passes.stop();
  }

  /** Dispatches every sealed event past the cursor now; returns how many deliveries it made. */
  dispatch(): Promise<number> {
    return this.passes.run(() => this.dispatchAll());
  }

  private async dispatchAll(): Promise<number> {
    let made = 0;
    for (;;) {
      const batch = await this.dispatchBatch();
      if (batch === null) return made;
      made += batch.deliveries;
      if (batch.deliveries > 0) this.worker.wake();
      if (batch.events < BATCH_SIZE || this.passes.stopping) return made;
    }
  }

  /** Null when there was nothing to do or another instance moved the cursor first. */
  private async dispatchBatch(): Promise<{ events: number; deliveries: number } | null> {
    const [{ seq: cursor }] = await this.dataSource.query<{ seq: string }[]>(
      `SELECT seq FROM webhook_dispatch_cursor`,
    );
    const events = await this.dataSource.query<SealedEvent[]>(
      `SELECT id, seq, occurred_at, action, outcome, resource_type, resource_id, metadata
         FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [cursor, BATCH_SIZE],
    );
    if (events.length === 0) return null;
    const deliveries = await this.deliveriesFor(events);
    const moved = await this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<{ locked: boolean }[]>(
        `SELECT pg_try_advisory_xact_lock($1) AS locked`,
        [AdvisoryLock.WebhookDispatcher],
      );
      if (!locked) return false;
      const [{ seq }] = await manager.query<{ seq: string }[]>(
        `SELECT seq FROM webhook_dispatch_cursor FOR UPDATE`,
      );
      if (seq !== cursor) return false;
      if (deliveries.length > 0) {
        const now = this.clock.now();
        await manager.query(
          `INSERT INTO webhook_deliveries
                  (endpoint_id, event_id, type, body, next_attempt_at, occurred_at, created_at)
           SELECT endpoint_id, event_id, type, body, $6, occurred_at, $6
             FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::text[], $5::timestamptz[])
                  AS d (endpoint_id, event_id, type, body, occurred_at)
           ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
          [
            deliveries.map((delivery) => delivery.endpointId),
            deliveries.map((delivery) => delivery.eventId),
            deliveries.map((delivery) => delivery.type),
            deliveries.map((delivery) => delivery.body),
            deliveries.map((delivery) => delivery.occurredAt),
            now,
          ],
        );
      }
      await manager.query(`UPDATE webhook_dispatch_cursor SET seq = $1`, [
        events[events.length - 1].seq,
      ]);
      return true;
    });
    return moved ? { events: events.length, deliveries: deliveries.length } : null;
  }

  private async deliveriesFor(events: SealedEvent[]): Promise<NewDelivery[]> {
    const endpoints = await this.dataSource.query<EnabledEndpoint[]>(
      `SELECT id, events, created_at FROM webhook_endpoints WHERE status = 'enabled'`,
    );
    if (endpoints.length === 0) return [];
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      const type = event.outcome === 'success' ? eventTypeOf(event.action) : null;
      if (type === null) continue;
      // An endpoint receives what happened after it was created, not the backlog before it.
      const targets = endpoints.filter(
        (endpoint) => subscribes(endpoint.events, type) && endpoint.created_at <= event.occurred_at,
      );
      if (targets.length === 0) continue;
      const object = await this.resources.read({
        type: event.resource_type,
        id: event.resource_id,
        metadata: event.metadata,
      });
      const body = JSON.stringify({
        id: event.id,
        type,
        occurredAt: event.occurred_at.toISOString(),
        seq: Number(event.seq),
        data: { object },
      });
      for (const endpoint of targets) {
        deliveries.push({
          endpointId: endpoint.id,
          eventId: event.id,
          type,
          body,
          occurredAt: event.occurred_at,
        });
      }
    }
    return deliveries;
  }
}
