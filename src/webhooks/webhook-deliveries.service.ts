import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  decodeTimestampCursor,
  NotFoundProblem,
  Page,
  timestampCursorSql,
  toPage,
} from '@bastion/common';
import { AuditWriter } from '../audit';
import {
  ListWebhookDeliveriesQueryDto,
  toWebhookDeliveryDto,
  WebhookDeliveryDto,
} from './dto/webhook-delivery.dto';
import { toWebhookEndpointDto } from './dto/webhook-endpoint.dto';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { TEST_EVENT_TYPE } from './event-types';
import { WebhookClock } from './webhook-clock';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { DeliveryWorker } from './delivery-worker.service';

/** The delivery log of an endpoint, manual retries and test events. */
@Injectable()
export class WebhookDeliveriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly endpoints: WebhookEndpointsService,
    private readonly audit: AuditWriter,
    private readonly clock: WebhookClock,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Newest first. */
  async list(
    endpointId: string,
    query: ListWebhookDeliveriesQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    await this.endpoints.get(endpointId);
    const builder = this.dataSource
      .createQueryBuilder(WebhookDelivery, 'd')
      .addSelect(timestampCursorSql('d.created_at'), 'cursor_key')
      .where('d.endpoint_id = :endpointId', { endpointId })
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(query.limit + 1);
    if (query.status) builder.andWhere('d.status = :status', { status: query.status });
    if (query.cursor) {
      const cursor = decodeTimestampCursor(query.cursor);
      builder.andWhere('(d.created_at, d.id) < (CAST(:key AS timestamptz), CAST(:id AS uuid))', {
        key: cursor.key,
        id: cursor.id,
      });
    }
    const { entities, raw } = await builder.getRawAndEntities<{ cursor_key: string }>();
    const keys = new Map(entities.map((entity, index) => [entity.id, raw[index].cursor_key]));
    return toPage(entities, query.limit, toWebhookDeliveryDto, (delivery) => ({
      key: keys.get(delivery.id) as string,
      id: delivery.id,
    }));
  }

  /**
   * Due now, whatever its state: a given-up or even a delivered one goes again (same event id, so
   * receivers that already have it drop it). One in flight stays in flight: its lease still holds.
   */
  async retry(endpointId: string, deliveryId: string): Promise<WebhookDeliveryDto> {
    const delivery = await this.dataSource.transaction(async (manager) => {
      await this.endpoints.lock(manager, endpointId);
      const found = await manager.findOne(WebhookDelivery, {
        where: { id: deliveryId, endpointId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!found) throw new NotFoundProblem('Delivery');
      await manager.update(
        WebhookDelivery,
        { id: deliveryId },
        { status: 'pending', nextAttemptAt: this.clock.now() },
      );
      await this.audit.record(manager, {
        action: 'webhook_delivery.retried',
        resource: { type: 'webhook_delivery', id: deliveryId },
        changes: { before: { status: found.status }, after: { status: 'pending' } },
        metadata: { endpointId, eventId: found.eventId, type: found.type },
      });
      return manager.findOneByOrFail(WebhookDelivery, { id: deliveryId });
    });
    this.worker.wake();
    return toWebhookDeliveryDto(delivery);
  }

  /** A `webhook.test` event whose object is the endpoint itself. */
  async sendTest(endpointId: string): Promise<WebhookDeliveryDto> {
    const delivery = await this.dataSource.transaction(async (manager) => {
      const endpoint = await this.endpoints.lock(manager, endpointId);
      const now = this.clock.now();
      const eventId = randomUUID();
      const body = JSON.stringify({
        id: eventId,
        type: TEST_EVENT_TYPE,
        occurredAt: now.toISOString(),
        seq: null,
        data: { object: toWebhookEndpointDto(endpoint) },
      });
      const created = await manager.save(
        manager.create(WebhookDelivery, {
          endpointId,
          eventId,
          type: TEST_EVENT_TYPE,
          body,
          status: 'pending',
          attempts: 0,
          lastStatusCode: null,
          lastError: null,
          nextAttemptAt: now,
          lockedUntil: null,
          deliveredAt: null,
          occurredAt: now,
          createdAt: now,
        }),
      );
      await this.audit.record(manager, {
        action: 'webhook_endpoint.tested',
        resource: { type: 'webhook_endpoint', id: endpointId },
        metadata: { deliveryId: created.id, eventId },
      });
      return created;
    });
    this.worker.wake();
    return toWebhookDeliveryDto(delivery);
  }
}
