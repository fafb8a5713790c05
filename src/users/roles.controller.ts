import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiIdParam,
  ApiIfMatch,
  etagHeaderDoc,
  IdParam,
  Page,
  PageQueryDto,
  withEtag,
} from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreateRoleDto } from './dto/create-role.dto';
import { RoleDto, RolePageDto } from './dto/role.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { RolesService } from './roles.service';

const ETAG_HEADER = etagHeaderDoc('role', '"2"');
const NOT_FOUND = 'No role has this id.';
const REVOCATION_UNAVAILABLE =
  "The change is saved, but holders' cached grants could not be dropped on every instance (`/revocation-unavailable`); retry.";

@ApiTags('roles')
@Controller({ path: 'roles', version: '1' })
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get()
  @RequirePermissions(Permission.RolesRead)
  @ApiOperation({ summary: 'List roles, built-in and custom, by name' })
  @ApiOkResponse({ type: RolePageDto, description: 'One page of roles, by name.' })
  @ApiBadRequestResponse({ description: 'Bad `limit`, `cursor` or unknown parameter.' })
  list(@Query() query: PageQueryDto): Promise<Page<RoleDto>> {
    return this.roles.list(query);
  }

  @Post()
  @RequirePermissions(Permission.RolesWrite)
  @ApiOperation({
    summary: 'Create a custom role',
    description: 'You must hold every permission you put in it, otherwise 403.',
  })
  @ApiCreatedResponse({ type: RoleDto, headers: ETAG_HEADER, description: 'The new role.' })
  @ApiBadRequestResponse({
    description: 'Invalid field or unknown permission (`permissions.<i>`).',
  })
  @ApiConflictResponse({ description: 'A role with this name already exists.' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateRoleDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoleDto> {
    return withEtag(reply, await this.roles.create(principal, dto));
  }

  @Patch(':id')
  @RequirePermissions(Permission.RolesWrite)
  @ApiIdParam('role')
  @ApiIfMatch('role', '"2"')
  @ApiOperation({
    summary: "Change a custom role's description or permissions",
    description:
      'You must hold every permission added or removed, otherwise 403. Holders get the new permissions at their next request.',
  })
  @ApiOkResponse({ type: RoleDto, headers: ETAG_HEADER, description: 'The changed role.' })
  @ApiBadRequestResponse({
    description: 'Invalid field or unknown permission (`permissions.<i>`).',
  })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: 'Built-in roles cannot be changed.' })
  @ApiServiceUnavailableResponse({ description: REVOCATION_UNAVAILABLE })
  async update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() dto: UpdateRoleDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoleDto> {
    return withEtag(reply, await this.roles.update(principal, id, ifMatch, dto));
  }

  @Delete(':id')
  @RequirePermissions(Permission.RolesWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiIdParam('role')
  @ApiOperation({ summary: 'Delete a custom role that nobody holds' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: 'Built-in, or still assigned to a user.' })
  remove(@IdParam() id: string): Promise<void> {
    return this.roles.remove(id);
  }
}
