import { ApiProperty } from '@nestjs/swagger';
import { PageMetaDto } from '@bastion/common';
import { Permission } from '@bastion/rbac';

export class PermissionDto {
  @ApiProperty({ enum: Permission, example: Permission.UsersRead })
  name!: Permission;

  @ApiProperty({ example: 'List and read users' })
  description!: string;
}

export class PermissionPageDto extends PageMetaDto {
  @ApiProperty({ type: [PermissionDto] })
  data!: PermissionDto[];
}
