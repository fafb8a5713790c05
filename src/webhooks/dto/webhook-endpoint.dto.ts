import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { ALL_EVENTS, WEBHOOK_EVENT_TYPES } from '../event-types';
import { WebhookEndpoint } from '../entities/webhook-endpoint.entity';
import type { WebhookEndpointStatus } from '../entities/webhook-endpoint.entity';

const EXAMPLE_ID = '0b7e4f7e-3c1e-4f55-9a39-0d2a1b5c6e71';
export const EVENT_TYPE_CHOICES = [ALL_EVENTS, ...WEBHOOK_EVENT_TYPES];

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID })
  id!: string;

  @ApiProperty({ example: 'https://fulfilment.internal.example/bastion-events' })
  url!: string;

  @ApiProperty({
    enum: EVENT_TYPE_CHOICES,
    isArray: true,
    example: ['order.paid', 'order.cancelled'],
    description: 'Event types delivered to this endpoint; `*` is every type.',
  })
  events!: string[];

  @ApiProperty({ type: String, nullable: true, example: 'Fulfilment worker' })
  description!: string | null;

  @ApiProperty({
    enum: ['enabled', 'disabled'],
    example: 'enabled',
    description:
      'A disabled endpoint receives nothing. Bastion disables an endpoint whose deliveries have all failed for 3 days.',
  })
  status!: WebhookEndpointStatus;

  @ApiProperty({ type: 'integer', example: 1 })
  version!: number;

  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.000Z' })
  updatedAt!: string;
}

export class WebhookSecretDto {
  @ApiProperty({
    example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
    description:
      'The signing secret (Standard Webhooks form). Shown only in this response; store it now.',
  })
  secret!: string;
}

export class CreatedWebhookEndpointDto extends WebhookEndpointDto {
  @ApiProperty({
    example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
    description:
      'The signing secret (Standard Webhooks form). Shown only in this response; store it now.',
  })
  secret!: string;
}

export class WebhookEndpointPageDto extends PageMetaDto {
  @ApiProperty({ type: [WebhookEndpointDto] })
  data!: WebhookEndpointDto[];
}

export class WebhookEventTypeDto {
  @ApiProperty({ example: 'order.paid' })
  type!: string;
}

export class WebhookEventTypePageDto extends PageMetaDto {
  @ApiProperty({ type: [WebhookEventTypeDto] })
  data!: WebhookEventTypeDto[];
}

export function toWebhookEndpointDto(endpoint: WebhookEndpoint): WebhookEndpointDto {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    status: endpoint.status,
    version: endpoint.version,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}
