import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiResponses, PageQueryDto } from '@bastion/common';
import type { Page } from '@bastion/common';
import { Permission, RequirePermissions } from '@bastion/rbac';
import { PermissionDto, PermissionPageDto } from './dto/permission.dto';
import { RolesService } from './roles.service';

@ApiTags('roles')
@Controller({ path: 'permissions', version: '1' })
export class PermissionsController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @RequirePermissions(Permission.RolesRead)
  @ApiOperation({ summary: 'List the permission catalogue that roles are made of' })
  @ApiResponses({
    200: { type: PermissionPageDto, description: 'One page of permissions, by name.' },
    400: 'Bad `limit`, `cursor` or unknown parameter.',
  })
  list(@Query() query: PageQueryDto): Page<PermissionDto> {
    return this.roles.permissionCatalogue(query);
  }
}
