import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';

export class AuditCheckpointDto {
  @ApiProperty({ type: 'integer', example: 48000, description: 'The chain event it vouches for.' })
  seq!: number;

  @ApiProperty({
    example: '9f2c4e0b7a1d3c5e8f6a2b4d0c1e3f5a7b9d2c4e6f8a0b1c3d5e7f9a1b2c3d4e',
    description: 'That event’s hash (SHA-256, hex).',
  })
  hash!: string;

  @ApiProperty({ example: '2026-12-04T22:30:00.000Z' })
  signedAt!: string;

  @ApiProperty({
    example: '3b1f0c2d4e5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    description: 'SHA-256 (hex) of the signing key’s public key (SPKI DER).',
  })
  keyId!: string;

  @ApiProperty({
    example: 'q7bN0Wm8r3i4…==',
    description:
      'Ed25519 signature (base64) of the canonical JSON of `{ seq, hash, signedAt, keyId }`.',
  })
  signature!: string;
}

export class AuditCheckpointPageDto extends PageMetaDto {
  @ApiProperty({ type: [AuditCheckpointDto] })
  data!: AuditCheckpointDto[];
}
