import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_QUANTITY, MAX_UNIT_PRICE } from '../money';

const trimmed = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class OrderItemInputDto {
  @ApiProperty({ example: 'SKU-1001', maxLength: 64 })
  @Transform(trimmed)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  sku!: string;

  @ApiProperty({ example: 'Espresso beans, 1 kg', maxLength: 200 })
  @Transform(trimmed)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ type: 'integer', example: 2, minimum: 1, maximum: MAX_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;

  @ApiProperty({
    type: 'integer',
    example: 1999,
    minimum: 0,
    maximum: MAX_UNIT_PRICE,
    description: 'Price of one unit in minor units of the currency (1999 = 19.99).',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_PRICE)
  unitPrice!: number;
}
