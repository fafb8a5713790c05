import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import type { WebhookEndpointStatus } from '../entities/webhook-endpoint.entity';
import { EVENT_TYPE_CHOICES } from './webhook-endpoint.dto';

const trimmed = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

const URL_DOC = {
  example: 'https://fulfilment.internal.example/bastion-events',
  maxLength: 2048,
  description:
    '`https://` (plain `http://` only outside production). A host that resolves to a loopback, private, link-local or metadata address is refused unless `WEBHOOK_ALLOW_PRIVATE_URLS=true`.',
};
const EVENTS_DOC = {
  enum: EVENT_TYPE_CHOICES,
  isArray: true,
  minItems: 1,
  example: ['order.paid'],
  description: 'Event types to deliver (`GET /v1/webhook-event-types`); `*` is every type.',
};

export class CreateWebhookEndpointDto {
  @ApiProperty(URL_DOC)
  @Transform(trimmed)
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty(EVENTS_DOC)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_TYPE_CHOICES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPE_CHOICES, { each: true, message: 'must be a known event type or *' })
  events!: string[];

  @ApiPropertyOptional({ example: 'Fulfilment worker', maxLength: 500 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional(URL_DOC)
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional(EVENTS_DOC)
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_TYPE_CHOICES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPE_CHOICES, { each: true, message: 'must be a known event type or *' })
  events?: string[];

  @ApiPropertyOptional({ example: 'Fulfilment worker', maxLength: 500 })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    enum: ['enabled', 'disabled'],
    example: 'disabled',
    description: 'Enabling an endpoint again resumes its pending deliveries.',
  })
  @IsOptional()
  @IsIn(['enabled', 'disabled'])
  status?: WebhookEndpointStatus;
}
