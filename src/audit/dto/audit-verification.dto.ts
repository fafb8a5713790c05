import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class AuditVerificationDto {
  @ApiProperty({
    example: true,
    description:
      'Every sealed event in the range hashes to its stored hash, links to its predecessor, and every signed checkpoint in it checks out.',
  })
  valid!: boolean;

  @ApiProperty({ example: 1042, description: 'Sealed events checked before the first break.' })
  checked!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1,
    description: 'Null: nothing sealed in range.',
  })
  firstSeq!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 1042 })
  lastSeq!: number | null;

  @ApiPropertyOptional({
    example: 517,
    description:
      'Only when invalid: the first `seq` at which the chain or a checkpoint does not hold.',
  })
  brokenAtSeq?: number;
}
