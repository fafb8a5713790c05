import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { OrderStatus } from '../order-state';

export class OrderItemDto {
  @ApiProperty({ format: 'uuid', example: '0e1c6f44-5d0a-4c55-9d87-2a8f6b1b7c3e' })
  id!: string;

  @ApiProperty({ example: 'SKU-1001' })
  sku!: string;

  @ApiProperty({ example: 'Espresso beans, 1 kg' })
  name!: string;

  @ApiProperty({ type: 'integer', example: 2 })
  quantity!: number;

  @ApiProperty({ type: 'integer', example: 1999, description: 'Minor units.' })
  unitPrice!: number;

  @ApiProperty({
    type: 'integer',
    example: 3998,
    description: '`quantity × unitPrice`, minor units.',
  })
  lineTotal!: number;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid', example: '7d1f0c52-8a4b-4f7e-b1a2-6c3d9e8f0a1b' })
  id!: string;

  @ApiProperty({
    type: 'integer',
    example: 100042,
    description: 'Human-readable, unique, increasing.',
  })
  number!: number;

  @ApiProperty({ format: 'uuid', example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11' })
  customerId!: string;

  @ApiProperty({ enum: OrderStatus, example: OrderStatus.Pending })
  status!: OrderStatus;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ type: [OrderItemDto] })
  items!: OrderItemDto[];

  @ApiProperty({ type: 'integer', example: 3998, description: 'Sum of line totals, minor units.' })
  subtotal!: number;

  @ApiProperty({ type: 'integer', example: 3998, description: 'Amount to pay, minor units.' })
  total!: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'Captured so far, minor units.' })
  amountPaid!: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'Refunded so far, minor units.' })
  amountRefunded!: number;

  @ApiProperty({ type: String, nullable: true, example: 'Leave at the front desk.' })
  note!: string | null;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description: 'Optimistic-locking version; also sent as the ETag.',
  })
  version!: number;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class OrderPageDto extends PageMetaDto {
  @ApiProperty({ type: [OrderDto] })
  data!: OrderDto[];
}
