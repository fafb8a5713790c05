import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsISO4217CurrencyCode,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { MAX_ITEMS } from '../money';
import { OrderItemInputDto } from './order-item-input.dto';

export class CreateOrderDto {
  @ApiPropertyOptional({
    format: 'uuid',
    example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11',
    description:
      'The customer the order is for; default the caller. Sending it needs `orders:create:any`; it must name an active user.',
  })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code, upper case.' })
  // The ISO check alone accepts lower case; the database stores the upper-case code only.
  @Matches(/^[A-Z]{3}$/, { message: 'must be an upper-case ISO 4217 code' })
  @IsISO4217CurrencyCode()
  currency!: string;

  @ApiProperty({ type: [OrderItemInputDto], minItems: 1, maxItems: MAX_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items!: OrderItemInputDto[];

  @ApiPropertyOptional({ example: 'Leave at the front desk.', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;
}
