import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditWriter, SYSTEM_ACTOR } from '../audit';
import { SecretBox } from '../auth';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../health';
import { DISABLE_AFTER_FAILING_MS, RETRY_WINDOW_MS, retryDelayMs } from './backoff';
import { postSigned, SendResult } from './delivery-sender';
import { signedHeaders } from './signing';
import { checkTarget, UnsafeUrlError } from './url-guard';
import { WebhookClock } from './webhook-clock';

const POLL_MS = 250;
/** Deliveries in flight at once on this instance, all endpoints together. */
const MAX_IN_FLIGHT = 64;
const CANDIDATES = 100;

interface Claimed {
  id: string;
  endpoint_id: string;
  event_id: string;
  body: string;
  attempts: number;
  occurred_at: Date;
  created_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
}

/**
 * Sends due deliveries, on every instance. A delivery is claimed under `FOR UPDATE SKIP LOCKED`
 * with a lease (`locked_until`): it is in flight on one instance at a time, and when that
 * instance dies the lease runs out and another takes it over. Each endpoint gets at most
 * `endpointConcurrency` deliveries in flight per instance, so a slow or dead endpoint holds those
 * slots and no others.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly inFlight = new Map<string, number>();
  private readonly sending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private polling: Promise<void> | null = null;
  private wokenWhilePolling = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly clock: WebhookClock,
    private readonly box: SecretBox,
    private readonly audit: AuditWriter,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.webhookBacklog(() => this.oldestUndelivered());
    this.schedule(POLL_MS);
  }

  /** Stops claiming, then lets the attempts in flight finish (each within its 10 s timeout). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await Promise.allSettled([...this.sending]);
  }

  /** Looks for due deliveries now rather than at the next tick (one was just made due). */
  wake(): void {
    if (this.stopping) return;
    if (this.polling) {
      this.wokenWhilePolling = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Webhook claim failed'))
        .finally(() => {
          this.polling = null;
          const again = this.wokenWhilePolling;
          this.wokenWhilePolling = false;
          this.schedule(again ? 0 : POLL_MS);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const free = MAX_IN_FLIGHT - this.sending.size;
    if (free <= 0) return;
    for (const delivery of await this.claim(free)) {
      this.inFlight.set(delivery.endpoint_id, (this.inFlight.get(delivery.endpoint_id) ?? 0) + 1);
      const attempt = this.attempt(delivery)
        .catch((error: unknown) =>
          this.logger.error(
            { err: error, deliveryId: delivery.id },
            'Webhook attempt not recorded',
          ),
        )
        .finally(() => {
          this.sending.delete(attempt);
          const left = (this.inFlight.get(delivery.endpoint_id) ?? 1) - 1;
          if (left > 0) this.inFlight.set(delivery.endpoint_id, left);
          else this.inFlight.delete(delivery.endpoint_id);
          this.wake();
        });
      this.sending.add(attempt);
    }
  }

  private async claim(free: number): Promise<Claimed[]> {
    const now = this.clock.now();
    const perEndpoint = this.config.webhooks.endpointConcurrency;
    const full = [...this.inFlight].filter(([, count]) => count >= perEndpoint).map(([id]) => id);
    return this.dataSource.transaction(async (manager) => {
      // Per endpoint with room, through the (endpoint_id, next_attempt_at) index: an endpoint
      // whose attempts are all in flight is not looked at, however many deliveries it has due.
      const due = await manager.query<{ id: string; endpoint_id: string }[]>(
        `SELECT d.id, d.endpoint_id
           FROM webhook_endpoints e
          CROSS JOIN LATERAL (
                SELECT d.id, d.endpoint_id, d.next_attempt_at
                  FROM webhook_deliveries d
                 WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= $1
                   AND (d.locked_until IS NULL OR d.locked_until <= $1)
                 ORDER BY d.next_attempt_at
                 LIMIT $3
                   FOR UPDATE OF d SKIP LOCKED) d
          WHERE e.status = 'enabled' AND e.id <> ALL ($2::uuid[])
          ORDER BY d.next_attempt_at
          LIMIT $4`,
        [now, full, perEndpoint, CANDIDATES],
      );
      const taken: string[] = [];
      const counts = new Map(this.inFlight);
      for (const row of due) {
        if (taken.length >= free) break;
        const count = counts.get(row.endpoint_id) ?? 0;
        if (count >= perEndpoint) continue;
        counts.set(row.endpoint_id, count + 1);
        taken.push(row.id);
      }
      if (taken.length === 0) return [];
      const leaseEnds = new Date(now.getTime() + this.config.webhooks.leaseSeconds * 1000);
      // An UPDATE answers [rows, count] through TypeORM.
      const [claimed] = await manager.query<[Claimed[], number]>(
        `UPDATE webhook_deliveries d
            SET locked_until = $2, attempts = d.attempts + 1
           FROM webhook_endpoints e
          WHERE d.id = ANY ($1::uuid[]) AND e.id = d.endpoint_id
         RETURNING d.id, d.endpoint_id, d.event_id, d.body, d.attempts, d.occurred_at,
                   d.created_at, e.url, e.secret, e.previous_secret, e.previous_secret_until`,
        [taken, leaseEnds],
      );
      return claimed;
    });
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const result = await this.send(delivery);
    const now = this.clock.now();
    if (result.ok) {
      await this.recordSuccess(delivery, result, now);
      this.metrics.webhookDeliveries.inc({ outcome: 'succeeded' });
      this.metrics.webhookLatency.observe((now.getTime() - delivery.occurred_at.getTime()) / 1000);
    } else {
      const givenUp = now.getTime() - delivery.created_at.getTime() >= RETRY_WINDOW_MS;
      await this.recordFailure(delivery, result, now, givenUp);
      this.metrics.webhookDeliveries.inc({ outcome: givenUp ? 'given_up' : 'failed' });
    }
  }

  private async send(delivery: Claimed): Promise<SendResult> {
    let target;
    try {
      target = await checkTarget(delivery.url, {
        production: this.config.production,
        allowPrivate: this.config.webhooks.allowPrivateUrls,
      });
    } catch (error) {
      if (error instanceof UnsafeUrlError) {
        return { ok: false, statusCode: null, error: `Not sent: the URL ${error.message}` };
      }
      throw error;
    }
    const now = this.clock.now();
    const secrets = [this.box.open(delivery.secret)];
    if (delivery.previous_secret && delivery.previous_secret_until! > now) {
      secrets.push(this.box.open(delivery.previous_secret));
    }
    const headers = signedHeaders(
      secrets,
      delivery.event_id,
      Math.floor(now.getTime() / 1000),
      delivery.body,
    );
    return postSigned(target, headers, delivery.body);
  }

  /** Only the attempt that holds the delivery records its outcome (`attempts` is the fence). */
  private async recordSuccess(delivery: Claimed, result: SendResult, now: Date): Promise<void> {
    // The endpoint's row before the delivery's, in the order deleting an endpoint locks them.
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE webhook_endpoints SET failing_since = NULL
          WHERE id = $1 AND failing_since IS NOT NULL`,
        [delivery.endpoint_id],
      );
      await manager.query(
        `UPDATE webhook_deliveries
            SET status = 'succeeded', delivered_at = $3, last_status_code = $4, last_error = NULL,
                locked_until = NULL
          WHERE id = $1 AND attempts = $2`,
        [delivery.id, delivery.attempts, now, result.statusCode],
      );
    });
  }

  private async recordFailure(
    delivery: Claimed,
    result: SendResult,
    now: Date,
    givenUp: boolean,
  ): Promise<void> {
    const next = new Date(
      now.getTime() + retryDelayMs(this.config.webhooks.retryBaseMs, delivery.attempts),
    );
    await this.dataSource.transaction(async (manager) => {
      // The endpoint's row before the delivery's, in the order deleting an endpoint locks them.
      const [[endpoint]] = await manager.query<[{ failing_since: Date; status: string }[], number]>(
        `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2)
          WHERE id = $1 RETURNING failing_since, status`,
        [delivery.endpoint_id, now],
      );
      await manager.query(
        `UPDATE webhook_deliveries
            SET status = $3, next_attempt_at = $4, last_status_code = $5, last_error = $6,
                locked_until = NULL
          WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
        [
          delivery.id,
          delivery.attempts,
          givenUp ? 'failed' : 'pending',
          next,
          result.statusCode,
          result.error?.slice(0, 500) ?? null,
        ],
      );
      if (
        endpoint?.status !== 'enabled' ||
        now.getTime() - endpoint.failing_since.getTime() < DISABLE_AFTER_FAILING_MS
      ) {
        return;
      }
      await manager.query(
        `UPDATE webhook_endpoints SET status = 'disabled', version = version + 1, updated_at = now()
          WHERE id = $1`,
        [delivery.endpoint_id],
      );
      await this.audit.record(manager, {
        action: 'webhook_endpoint.disabled',
        resource: { type: 'webhook_endpoint', id: delivery.endpoint_id },
        changes: { before: { status: 'enabled' }, after: { status: 'disabled' } },
        metadata: {
          reason: 'every delivery failed for 3 days',
          failingSince: endpoint.failing_since.toISOString(),
          lastError: result.error ?? null,
          lastStatusCode: result.statusCode,
        },
        actor: SYSTEM_ACTOR,
      });
      this.logger.warn({ endpointId: delivery.endpoint_id }, 'Webhook endpoint disabled');
    });
  }

  /** Seconds since the oldest undelivered event's change committed, per enabled endpoint. */
  private async oldestUndelivered(): Promise<{ endpointId: string; seconds: number }[]> {
    const rows = await this.dataSource.query<{ endpoint_id: string; oldest: Date }[]>(
      `SELECT d.endpoint_id, min(d.occurred_at) AS oldest
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'enabled'
        WHERE d.status = 'pending'
        GROUP BY d.endpoint_id`,
    );
    const now = this.clock.now().getTime();
    return rows.map((row) => ({
      endpointId: row.endpoint_id,
      seconds: Math.max(0, (now - row.oldest.getTime()) / 1000),
    }));
  }
}
