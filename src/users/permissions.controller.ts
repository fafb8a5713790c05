import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Permission, RequirePermissions } from '@bastion/rbac';
import { PermissionListDto } from './dto/permission.dto';
import { RolesService } from './roles.service';

@ApiTags('roles')
@Controller({ path: 'permissions', version: '1' })
export class PermissionsController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @RequirePermissions(Permission.RolesRead)
  @ApiOperation({ summary: 'List the permission catalogue that roles are made of' })
  @ApiOkResponse({ type: PermissionListDto, description: 'Every permission, in catalogue order.' })
  list(): PermissionListDto {
    return this.roles.permissionCatalogue();
  }
}
