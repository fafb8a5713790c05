import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiResponses, Page, PageQueryDto } from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, ApiKeyIdParams, ApiKeyPageDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('api-keys')
@Controller({ path: 'api-keys', version: '1' })
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @RequirePermissions(Permission.ApiKeysManage)
  @ApiOperation({
    summary: 'Create an API key (the key is shown only in this response)',
    description:
      'The key acts for the caller and may carry only permissions the caller holds (403 `/grant-exceeds-caller` otherwise). Only a signed-in user can create keys: an API key gets 403 `/api-key-cannot-mint-keys`.',
  })
  @ApiResponses({
    201: { type: CreatedApiKeyDto },
  })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(principal, dto);
  }

  @Get()
  @RequirePermissions(Permission.ApiKeysManage)
  @ApiOperation({
    summary: 'List the API keys the caller created, newest first',
    description: 'Revoked keys are listed with `revokedAt`. The key itself is never shown again.',
  })
  @ApiResponses({
    200: { type: ApiKeyPageDto },
  })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(principal, query);
  }

  @Delete(':id')
  @RequirePermissions(Permission.ApiKeysManage)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke an API key; it stops working at once on every instance',
    description: 'Revoking an already revoked key succeeds again and changes nothing.',
  })
  @ApiResponses({
    204: 'Revoked.',
    404: 'No API key with this id was created by the caller.',
    503: 'The revocation could not be propagated to every instance; retry.',
  })
  revoke(@CurrentPrincipal() principal: Principal, @Param() params: ApiKeyIdParams): Promise<void> {
    return this.apiKeys.revoke(principal, params.id);
  }
}
