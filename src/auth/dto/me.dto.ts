import { ApiProperty } from '@nestjs/swagger';
import { Permission } from '@bastion/rbac';
import { UserDto } from '../../users';

export class MeDto {
  @ApiProperty({ enum: ['user', 'api_key'], example: 'user' })
  actorType!: 'user' | 'api_key';

  @ApiProperty({ type: UserDto, description: 'The user, or the creator of the API key.' })
  user!: UserDto;

  @ApiProperty({ type: [String], example: ['customer'] })
  roles!: string[];

  @ApiProperty({ enum: Permission, isArray: true, example: ['orders:read:own'] })
  permissions!: Permission[];
}
