import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_ORDER_TOTAL } from '../../orders';

export class CreateRefundDto {
  @ApiProperty({
    type: 'integer',
    example: 1000,
    minimum: 1,
    maximum: MAX_ORDER_TOTAL,
    description: 'Minor units; at most what is captured and not yet refunded.',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_ORDER_TOTAL)
  amount!: number;

  @ApiPropertyOptional({ example: 'Damaged in transit', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
