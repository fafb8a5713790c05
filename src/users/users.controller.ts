import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Put,
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
  Versioned,
} from '@bastion/common';
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
const THE_USER = { type: UserDto, headers: ETAG_HEADER, description: 'The user.' };

@ApiTags('users')
@Controller({ path: 'users', version: '1' })
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermissions(Permission.UsersRead)
  @ApiOperation({ summary: 'List users, newest first, filtered by text, role or status' })
  @ApiResponses({
    200: { type: UserPageDto, description: 'One page of users.' },
    400: 'Bad `limit`, `cursor`, `status` or unknown parameter.',
  })
  list(@Query() query: ListUsersQueryDto): Promise<Page<UserDto>> {
    return this.users.list(query);
  }

  @Post()
  @RequirePermissions(Permission.UsersWrite)
  @Versioned()
  @ApiOperation({
    summary: 'Create a user',
    description:
      'Without `roles` the user is a `customer`. Sending `roles` needs `roles:assign` and every permission of those roles.',
  })
  @ApiResponses({
    201: { type: UserDto, headers: ETAG_HEADER, description: 'The new user.' },
    400: 'Invalid field or unknown role name (`roles.<i>`).',
    409: 'A user with this email already exists.',
  })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateUserDto): Promise<UserDto> {
    return this.users.create(principal, dto);
  }

  @Get(':id')
  @RequirePermissionOrSelf(Permission.UsersRead, 'or the caller themself')
  @Versioned()
  @ApiIdParam('user')
  @ApiOperation({ summary: 'Get a user' })
  @ApiResponses({
    200: THE_USER,
    403: 'Another user, and the caller lacks `users:read`.',
    404: NOT_FOUND,
  })
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<UserDto> {
    return this.users.get(principal, id);
  }

  @Patch(':id')
  @RequirePermissionOrSelf(
    Permission.UsersWrite,
    'without it, the caller themself may change only `name`',
  )
  @Versioned()
  @ApiIdParam('user')
  @ApiIfMatch('user', '"3"')
  @ApiOperation({ summary: "Change a user's name or email" })
  @ApiResponses({
    200: THE_USER,
    403: `Another user without \`users:write\`, or your own email without it. ${GRANT_RULE}`,
    404: NOT_FOUND,
    409: `${DELETED} Or the email belongs to another user.`,
  })
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @IfMatch() expected: number,
    @Body() dto: UpdateUserDto,
  ): Promise<UserDto> {
    return this.users.update(principal, id, expected, dto);
  }

  @Post(':id/disable')
  @RequirePermissions(Permission.UsersWrite)
  @HttpCode(HttpStatus.OK)
  @Versioned()
  @ApiIdParam('user')
  @ApiOperation({
    summary: 'Disable a user',
    description: 'Their sessions end at once and they cannot log in until enabled again.',
  })
  @ApiResponses({
    200: THE_USER,
    403: GRANT_RULE,
    404: NOT_FOUND,
    409: `${DELETED} Or yourself, or the last active admin.`,
    503: REVOCATION_UNAVAILABLE,
  })
  disable(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<UserDto> {
    return this.users.disable(principal, id);
  }

  @Post(':id/enable')
  @RequirePermissions(Permission.UsersWrite)
  @HttpCode(HttpStatus.OK)
  @Versioned()
  @ApiIdParam('user')
  @ApiOperation({ summary: 'Enable a disabled user' })
  @ApiResponses({
    200: THE_USER,
    403: GRANT_RULE,
    404: NOT_FOUND,
    409: DELETED,
    503: REVOCATION_UNAVAILABLE,
  })
  enable(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<UserDto> {
    return this.users.enable(principal, id);
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
  @ApiResponses({
    204: 'Deleted.',
    403: GRANT_RULE,
    404: 'No user has this id, or it is already deleted.',
    409: 'Yourself, or the last active admin.',
    503: REVOCATION_UNAVAILABLE,
  })
  remove(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<void> {
    return this.users.remove(principal, id);
  }

  @Put(':id/roles')
  @RequirePermissions(Permission.RolesAssign)
  @Versioned()
  @ApiIdParam('user')
  @ApiOperation({
    summary: "Set a user's roles",
    description:
      'You must hold every permission the user holds and every permission of the roles added, otherwise 403 `/grant-exceeds-caller`.',
  })
  @ApiResponses({
    200: THE_USER,
    400: 'Invalid body or unknown role name (`roles.<i>`).',
    404: NOT_FOUND,
    409: `${DELETED} Or it would leave no active admin.`,
    503: REVOCATION_UNAVAILABLE,
  })
  setRoles(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: string,
    @Body() dto: SetUserRolesDto,
  ): Promise<UserDto> {
    return this.users.setRoles(principal, id, dto);
  }
}
