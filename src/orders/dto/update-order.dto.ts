import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { MAX_ITEMS } from '../money';
import { OrderItemInputDto } from './order-item-input.dto';

export class UpdateOrderDto {
  @ApiPropertyOptional({
    type: [OrderItemInputDto],
    minItems: 1,
    maxItems: MAX_ITEMS,
    description: 'Replaces every item; totals are computed again.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items?: OrderItemInputDto[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'Ring twice.',
    maxLength: 1000,
    description: '`null` removes the note.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string | null;
}
