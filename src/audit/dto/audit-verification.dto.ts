import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class AuditVerificationDto {
  @ApiProperty({
    example: true,
    description:
      'Every sealed event in the range hashes to its stored hash, links to its predecessor, and every signed checkpoint in it checks out.',
  })
  valid!: boolean;

  @ApiProperty({
    type: 'integer',
    example: 1042,
    description: 'Sealed events checked before the first break.',
  })
  checked!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 1,
    description: 'Null: nothing sealed in range.',
  })
  firstSeq!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 1042 })
  lastSeq!: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    example: 517,
    description:
      'Only when invalid: the first `seq` at which the chain, a checkpoint or an anchor does not hold.',
  })
  brokenAtSeq?: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 48000,
    description:
      'The highest anchor (a signed checkpoint kept outside the database, under `AUDIT_ANCHOR_DIR`) that the chain matched. Absent when no anchor lies in the range.',
  })
  anchoredThrough?: number;
}
