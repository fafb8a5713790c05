import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '@bastion/common';
import { OrderStatus } from '../order-state';

export class ListOrdersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: OrderStatus, example: OrderStatus.Pending })
  @IsOptional()
  @IsEnum(OrderStatus)
  status?: OrderStatus;

  @ApiPropertyOptional({
    format: 'uuid',
    example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11',
    description:
      "Only this customer's orders. Without `orders:read:any` you only ever see your own.",
  })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-01-01T00:00:00Z',
    description: 'Created at or after this instant.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdFrom?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-02-01T00:00:00Z',
    description: 'Created before this instant.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdTo?: string;
}
