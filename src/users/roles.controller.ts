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
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPreconditionFailedResponse,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { etagFor } from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreateRoleDto } from './dto/create-role.dto';
import { ApiIdParam, IdParam } from './dto/id-param';
import { RoleDto, RoleListDto } from './dto/role.dto';
import { UpdateRoleDto } from './dto/update-role.dto';
import { RolesService } from './roles.service';

const ETAG_HEADER = {
  ETag: {
    description: "The role's version, for `If-Match`.",
    schema: { type: 'string', example: '"2"' },
  },
};
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
  @ApiOkResponse({ type: RoleListDto, description: 'Every role, by name.' })
  list(): Promise<RoleListDto> {
    return this.roles.list();
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
  @ApiHeader({ name: 'If-Match', required: true, example: '"2"', description: 'The ETag read.' })
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
  @ApiPreconditionFailedResponse({ description: 'The role changed since the ETag was read.' })
  @ApiResponse({ status: 428, description: '`If-Match` is missing.' })
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

function withEtag(reply: FastifyReply, role: RoleDto): RoleDto {
  void reply.header('etag', etagFor(role.version));
  return role;
}
