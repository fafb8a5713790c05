import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageMetaDto, PageQueryDto } from '@bastion/common';
import { DELIVERY_STATUSES, WebhookDelivery } from '../entities/webhook-delivery.entity';
import type { DeliveryStatus } from '../entities/webhook-delivery.entity';

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid', example: '6f1d2c3b-4a59-4e68-8d7c-1b2a3c4d5e6f' })
  id!: string;

  @ApiProperty({
    format: 'uuid',
    example: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    description: 'The event (audit event) id: `webhook-id` and the payload `id`.',
  })
  eventId!: string;

  @ApiProperty({ example: 'order.paid' })
  type!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, example: 'succeeded' })
  status!: DeliveryStatus;

  @ApiProperty({ type: 'integer', example: 1 })
  attempts!: number;

  @ApiProperty({ type: 'integer', nullable: true, example: 200 })
  lastStatusCode!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'When the next attempt is due; null once succeeded or given up.',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-01-15T09:30:01.200Z',
  })
  deliveredAt!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.800Z' })
  createdAt!: string;
}

export class WebhookDeliveryPageDto extends PageMetaDto {
  @ApiProperty({ type: [WebhookDeliveryDto] })
  data!: WebhookDeliveryDto[];
}

export class ListWebhookDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class WebhookDeliveryParams {
  @ApiProperty({ format: 'uuid', example: '0b7e4f7e-3c1e-4f55-9a39-0d2a1b5c6e71' })
  @IsUUID()
  id!: string;

  @ApiProperty({ format: 'uuid', example: '6f1d2c3b-4a59-4e68-8d7c-1b2a3c4d5e6f' })
  @IsUUID()
  deliveryId!: string;
}

export function toWebhookDeliveryDto(delivery: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
  };
}
