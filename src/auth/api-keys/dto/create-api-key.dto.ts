import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsEnum,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { ALL_PERMISSIONS, Permission } from '@bastion/rbac';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with a zone that lies in the future when the request is validated. */
function IsFutureDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFutureDateTime',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && ISO_DATE_TIME.test(value) && Date.parse(value) > Date.now(),
        defaultMessage: () => 'must be an ISO 8601 date-time in the future',
      },
    },
    options,
  );
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'billing-sync', minLength: 1, maxLength: 100 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({
    enum: Permission,
    isArray: true,
    minItems: 1,
    example: [Permission.OrdersReadAny, Permission.PaymentsReadAny],
    description: 'What the key may do; each must be held by the caller.',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(ALL_PERMISSIONS.length)
  @IsEnum(Permission, { each: true, message: 'each value must be a known permission' })
  permissions!: Permission[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2030-01-01T00:00:00.000Z',
    description: 'When the key stops working; omit for a key that does not expire.',
  })
  @IsOptional()
  @IsFutureDateTime()
  expiresAt?: string;
}
