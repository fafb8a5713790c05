import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  decodeTimestampCursor,
  NotFoundProblem,
  Page,
  PageQueryDto,
  preconditionFailed,
  timestampCursorSql,
  toPage,
  ValidationProblem,
} from '@bastion/common';
import type { Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit';
import { SecretBox } from '../auth';
import { AppConfig } from '../config/app-config';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import {
  CreatedWebhookEndpointDto,
  toWebhookEndpointDto,
  WebhookEndpointDto,
  WebhookSecretDto,
} from './dto/webhook-endpoint.dto';
import {
  CreateWebhookEndpointDto,
  UpdateWebhookEndpointDto,
} from './dto/write-webhook-endpoint.dto';
import { newEndpointSecret } from './signing';
import { checkTarget, UnsafeUrlError } from './url-guard';
import { WebhookClock } from './webhook-clock';

/** How long the secret before a rotation keeps signing beside the new one. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

/** What an endpoint's audit events record of it: never its secret. */
function auditView(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    status: endpoint.status,
  };
}

/** Endpoints: their settings, secrets and lifecycle; every change commits with its audit event. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
    private readonly clock: WebhookClock,
  ) {}

  async create(
    principal: Principal,
    dto: CreateWebhookEndpointDto,
  ): Promise<CreatedWebhookEndpointDto> {
    await this.assertSafeUrl(dto.url);
    const secret = newEndpointSecret();
    const endpoint = await this.dataSource.transaction(async (manager) => {
      const created = await manager.save(
        manager.create(WebhookEndpoint, {
          url: dto.url,
          events: dto.events,
          description: dto.description ?? null,
          status: 'enabled',
          secret: this.box.seal(secret),
          previousSecret: null,
          previousSecretUntil: null,
          failingSince: null,
          createdBy: principal.id,
        }),
      );
      await this.audit.record(manager, {
        action: 'webhook_endpoint.created',
        resource: { type: 'webhook_endpoint', id: created.id },
        changes: { before: null, after: auditView(created) },
      });
      return created;
    });
    return { ...toWebhookEndpointDto(endpoint), secret };
  }

  /** Newest first. */
  async list(query: PageQueryDto): Promise<Page<WebhookEndpointDto>> {
    const builder = this.dataSource
      .createQueryBuilder(WebhookEndpoint, 'e')
      .addSelect(timestampCursorSql('e.created_at'), 'cursor_key')
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(query.limit + 1);
    if (query.cursor) {
      const cursor = decodeTimestampCursor(query.cursor);
      builder.where('(e.created_at, e.id) < (CAST(:key AS timestamptz), CAST(:id AS uuid))', {
        key: cursor.key,
        id: cursor.id,
      });
    }
    const { entities, raw } = await builder.getRawAndEntities<{ cursor_key: string }>();
    const keys = new Map(entities.map((entity, index) => [entity.id, raw[index].cursor_key]));
    return toPage(entities, query.limit, toWebhookEndpointDto, (endpoint) => ({
      key: keys.get(endpoint.id) as string,
      id: endpoint.id,
    }));
  }

  async get(id: string): Promise<WebhookEndpointDto> {
    const endpoint = await this.dataSource.manager.findOneBy(WebhookEndpoint, { id });
    if (!endpoint) throw new NotFoundProblem('Webhook endpoint');
    return toWebhookEndpointDto(endpoint);
  }

  async update(
    id: string,
    expectedVersion: number,
    dto: UpdateWebhookEndpointDto,
  ): Promise<WebhookEndpointDto> {
    if (dto.url !== undefined) await this.assertSafeUrl(dto.url);
    return this.dataSource.transaction(async (manager) => {
      const endpoint = await this.lock(manager, id);
      if (endpoint.version !== expectedVersion) throw preconditionFailed();
      const before = auditView(endpoint);
      if (dto.url !== undefined) endpoint.url = dto.url;
      if (dto.events !== undefined) endpoint.events = dto.events;
      if (dto.description !== undefined) endpoint.description = dto.description;
      if (dto.status !== undefined && dto.status !== endpoint.status) {
        endpoint.status = dto.status;
        // Enabled again: its failures so far no longer count towards the 3-day disable.
        if (dto.status === 'enabled') endpoint.failingSince = null;
      }
      const saved = await manager.save(endpoint);
      await this.audit.record(manager, {
        action: 'webhook_endpoint.updated',
        resource: { type: 'webhook_endpoint', id },
        changes: { before, after: auditView(saved) },
      });
      return toWebhookEndpointDto(saved);
    });
  }

  async remove(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const endpoint = await this.lock(manager, id);
      await manager.delete(WebhookEndpoint, { id });
      await this.audit.record(manager, {
        action: 'webhook_endpoint.deleted',
        resource: { type: 'webhook_endpoint', id },
        changes: { before: auditView(endpoint), after: null },
      });
    });
  }

  /**
   * A new secret; the current one keeps signing beside it for 24 h. A second rotation within
   * those 24 h drops the oldest: only the secret being replaced overlaps.
   */
  async rotateSecret(id: string): Promise<WebhookSecretDto> {
    const secret = newEndpointSecret();
    await this.dataSource.transaction(async (manager) => {
      await this.lock(manager, id);
      const [{ secret: current }] = await manager.query<{ secret: string }[]>(
        `SELECT secret FROM webhook_endpoints WHERE id = $1`,
        [id],
      );
      await manager.query(
        `UPDATE webhook_endpoints
            SET secret = $2, previous_secret = $3, previous_secret_until = $4
          WHERE id = $1`,
        [
          id,
          this.box.seal(secret),
          current,
          new Date(this.clock.now().getTime() + ROTATION_OVERLAP_MS),
        ],
      );
      await this.audit.record(manager, {
        action: 'webhook_endpoint.secret_rotated',
        resource: { type: 'webhook_endpoint', id },
      });
    });
    return { secret };
  }

  /** The endpoint, locked until the transaction ends; a 404 when absent. */
  async lock(manager: EntityManager, id: string): Promise<WebhookEndpoint> {
    const endpoint = await manager.findOne(WebhookEndpoint, {
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
    if (!endpoint) throw new NotFoundProblem('Webhook endpoint');
    return endpoint;
  }

  private async assertSafeUrl(url: string): Promise<void> {
    try {
      await checkTarget(url, {
        production: this.config.production,
        allowPrivate: this.config.webhooks.allowPrivateUrls,
      });
    } catch (error) {
      if (error instanceof UnsafeUrlError) {
        throw new ValidationProblem([{ field: 'url', message: error.message }]);
      }
      throw error;
    }
  }
}
