import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_ORDER_TOTAL } from '../../orders';

export class PaymentMethodDto {
  @ApiProperty({ enum: ['card'], example: 'card' })
  @IsIn(['card'])
  type!: 'card';

  @ApiProperty({
    example: 'tok_visa',
    maxLength: 255,
    description:
      'Provider token for the card. Sandbox: `tok_visa` succeeds, `tok_declined` and `tok_insufficient_funds` fail, `tok_3ds` needs action and is settled by webhook.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  token!: string;
}

export class CreatePaymentDto {
  @ApiProperty({ type: PaymentMethodDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PaymentMethodDto)
  paymentMethod!: PaymentMethodDto;

  @ApiPropertyOptional({
    type: 'integer',
    example: 3998,
    minimum: 1,
    maximum: MAX_ORDER_TOTAL,
    description: 'Minor units; default and maximum: the outstanding balance.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ORDER_TOTAL)
  amount?: number;
}
