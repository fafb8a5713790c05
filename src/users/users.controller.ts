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
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiIdParam, ApiIfMatch, etagHeaderDoc, IdParam, Page, withEtag } from '@bastion/common';
import {
  CurrentPrincipal,
  Permission,
  RequirePermissionOrSelf,
  RequirePermissions,
} from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQueryDto } from './dto/list-users-query.dto';
import { SetUserRolesDto } from './dto/set-user-roles.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserDto, UserPageDto } from './dto/user.dto';
import { UsersService } from './users.service';

const ETAG_HEADER = etagHeaderDoc('user', '"3"');
const NOT_FOUND = 'No user has this id.';
const DELETED = 'The user is deleted.';
const GRANT_RULE =
  'The user holds a permission you do not hold (`/grant-exceeds-caller`): nobody manages a user with more power than their own.';
const REVOCATION_UNAVAILABLE =
  'The change is saved, but it could not be propagated to every instance (`/revocation-unavailable`); retry.';

@ApiTags('users')
@Controller({ path: 'users', version: '1' })
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermissions(Permission.UsersRead)
  @ApiOperation({ summary: 'List users, newest first, filtered by text, role or status' })
  @ApiOkResponse({ type: UserPageDto, description: 'One page of users.' })
  @ApiBadRequestResponse({ description: 'Bad `limit`, `cursor`, `status` or unknown parameter.' })
  list(@Query() query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.list(query);
  }

  @Post()
  @RequirePermissions(Permission.UsersWrite)
  @ApiOperation({
    summary: 'Create a user',
    description:
      'Without `roles` the user is a `customer`. Sending `roles` needs `roles:assign` and every permission of those roles.',
  })
  @ApiCreatedResponse({ type: UserDto, headers: ETAG_HEADER, description: 'The new user.' })
  @ApiBadRequestResponse({ description: 'Invalid field or unknown role name (`roles.<i>`).' })
  @ApiConflictResponse({ description: 'A user with this email already exists.' })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    return withEtag(reply, await this.users.create(principal, dto));
  }

  @Get(':id')
  @RequirePermissionOrSelf(Permission.UsersRead, 'or the caller themself')
  @ApiIdParam('user')
  @ApiOperation({ summary: 'Get a user' })
  @ApiOkResponse({ type: UserDto, headers: ETAG_HEADER, description: 'The user.' })
  @ApiForbiddenResponse({ description: 'Another user, and the caller lacks `users:read`.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async get(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    return withEtag(reply, await this.users.get(principal, id));
  }

  @Patch(':id')
  @RequirePermissionOrSelf(
    Permission.UsersWrite,
    'without it, the caller themself may change only `name`',
  )
  @ApiIdParam('user')
  @ApiIfMatch('user', '"3"')
  @ApiOperation({ summary: "Change a user's name or email" })
  @ApiOkResponse({ type: UserDto, headers: ETAG_HEADER, description: 'The user.' })
  @ApiForbiddenResponse({
    description: `Another user without \`users:write\`, or your own email without it. ${GRANT_RULE}`,
  })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: `${DELETED} Or the email belongs to another user.` })
  async update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() dto: UpdateUserDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    return withEtag(reply, await this.users.update(principal, id, ifMatch, dto));
  }

  @Post(':id/disable')
  @RequirePermissions(Permission.UsersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('user')
  @ApiOperation({
    summary: 'Disable a user',
    description: 'Their sessions end at once and they cannot log in until enabled again.',
  })
  @ApiOkResponse({ type: UserDto, headers: ETAG_HEADER, description: 'The user.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiForbiddenResponse({ description: GRANT_RULE })
  @ApiConflictResponse({ description: `${DELETED} Or yourself, or the last active admin.` })
  @ApiServiceUnavailableResponse({ description: REVOCATION_UNAVAILABLE })
  async disable(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    return withEtag(reply, await this.users.disable(principal, id));
  }

  @Post(':id/enable')
  @RequirePermissions(Permission.UsersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('user')
  @ApiOperation({ summary: 'Enable a disabled user' })
  @ApiOkResponse({ type: UserDto, headers: ETAG_HEADER, description: 'The user.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiForbiddenResponse({ description: GRANT_RULE })
  @ApiConflictResponse({ description: DELETED })
  @ApiServiceUnavailableResponse({ description: REVOCATION_UNAVAILABLE })
  async enable(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    return withEtag(reply, await this.users.enable(principal, id));
  }

  @Delete(':id')
  @RequirePermissions(Permission.UsersWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiIdParam('user')
  @ApiOperation({
    summary: 'Delete a user',
    description:
      'Soft delete: email, name and secrets are erased, roles removed, sessions and the API keys they created revoked; audit history keeps the id.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiNotFoundResponse({ description: 'No user has this id, or it is already deleted.' })
  @ApiForbiddenResponse({ description: GRANT_RULE })
  @ApiConflictResponse({ description: 'Yourself, or the last active admin.' })
  @ApiServiceUnavailableResponse({ description: REVOCATION_UNAVAILABLE })
  remove(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.users.remove(principal, id);
  }

  @Put(':id/roles')
  @RequirePermissions(Permission.RolesAssign)
  @ApiIdParam('user')
  @ApiOperation({
    summary: "Set a user's roles",
    description:
      'You must hold every permission the user holds and every permission of the roles added, otherwise 403 `/grant-exceeds-caller`.',
  })
  @ApiOkResponse({ type: UserDto, headers: ETAG_HEADER, description: 'The user.' })
  @ApiBadRequestResponse({ description: 'Invalid body or unknown role name (`roles.<i>`).' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: `${DELETED} Or it would leave no active admin.` })
  @ApiServiceUnavailableResponse({ description: REVOCATION_UNAVAILABLE })
  async setRoles(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: SetUserRolesDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserDto> {
    return withEtag(reply, await this.users.setRoles(principal, id, dto));
  }
}
