import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiIdParam,
  ApiIfMatch,
  ApiResponses,
  etagHeaderDoc,
  IdParam,
  IfMatch,
  Page,
  PageQueryDto,
  Versioned,
} from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreateRoleDto } from './dto/create-role.dto';
import { RoleDto, RolePageDto } from './dto/role.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { RolesService } from './roles.service';

const ETAG_HEADER = etagHeaderDoc('role', '"2"');
const NOT_FOUND = 'No role has this id.';
const UNKNOWN_PERMISSION = 'Invalid field or unknown permission (`permissions.<i>`).';
const REVOCATION_UNAVAILABLE =
  "The change is saved, but holders' cached grants could not be dropped on every instance (`/revocation-unavailable`); retry.";

@ApiTags('roles')
@Controller({ path: 'roles', version: '1' })
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @RequirePermissions(Permission.RolesRead)
  @ApiOperation({ summary: 'List roles, built-in and custom, by name' })
  @ApiResponses({
    200: { type: RolePageDto, description: 'One page of roles, by name.' },
    400: 'Bad `limit`, `cursor` or unknown parameter.',
  })
  list(@Query() query: PageQueryDto): Promise<Page<RoleDto>> {
    return this.roles.list(query);
  }

  @Post()
  @RequirePermissions(Permission.RolesWrite)
  @Versioned()
  @ApiOperation({
    summary: 'Create a custom role',
    description: 'You must hold every permission you put in it, otherwise 403.',
  })
  @ApiResponses({
    201: { type: RoleDto, headers: ETAG_HEADER, description: 'The new role.' },
    400: UNKNOWN_PERMISSION,
    409: 'A role with this name already exists.',
  })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateRoleDto): Promise<RoleDto> {
    return this.roles.create(principal, dto);
  }

  @Patch(':id')
  @RequirePermissions(Permission.RolesWrite)
  @Versioned()
  @ApiIdParam('role')
  @ApiIfMatch('role', '"2"')
  @ApiOperation({
    summary: "Change a custom role's description or permissions",
    description:
      'You must hold every permission added or removed, otherwise 403. Holders get the new permissions at their next request.',
  })
  @ApiResponses({
    200: { type: RoleDto, headers: ETAG_HEADER, description: 'The changed role.' },
    400: UNKNOWN_PERMISSION,
    404: NOT_FOUND,
    409: 'Built-in roles cannot be changed.',
    503: REVOCATION_UNAVAILABLE,
  })
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @IfMatch() expected: number,
    @Body() dto: UpdateRoleDto,
  ): Promise<RoleDto> {
    return this.roles.update(principal, id, expected, dto);
  }

  @Delete(':id')
  @RequirePermissions(Permission.RolesWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiIdParam('role')
  @ApiOperation({ summary: 'Delete a custom role that nobody holds' })
  @ApiResponses({
    204: 'Deleted.',
    404: NOT_FOUND,
    409: 'Built-in, or still assigned to a user.',
  })
  remove(@IdParam() id: string): Promise<void> {
    return this.roles.remove(id);
  }
}
