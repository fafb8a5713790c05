import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { User, UserStatus } from '../entities/user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid', example: '5b8f2c1e-0c1d-4a63-9e0b-2f1f4f3f9a11' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description: 'Null once deleted.',
  })
  email!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Ada Lovelace',
    description: 'Null once deleted.',
  })
  name!: string | null;

  @ApiProperty({ enum: UserStatus, example: UserStatus.Active })
  status!: UserStatus;

  @ApiProperty({ type: [String], example: ['customer'] })
  roles!: string[];

  @ApiProperty({ example: false })
  mfaEnabled!: boolean;

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

export function toUserDto(user: User): UserDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    status: user.status,
    roles: (user.roles ?? []).map((role) => role.name).sort(),
    mfaEnabled: user.mfaEnabled,
    version: user.version,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export class UserPageDto extends PageMetaDto {
  @ApiProperty({ type: [UserDto] })
  data!: UserDto[];
}
