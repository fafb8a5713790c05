import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { mapPage, NotFoundProblem, Page, PageQueryDto } from '@bastion/common';
import { assertMayGrant, Principal } from '@bastion/rbac';
import { AuditWriter } from '../../audit';
import { AccessCache } from '../access/access-cache';
import { API_KEY_PREFIX } from '../access/access-resolver.service';
import { AuthErrorCode, AuthException } from '../auth.exception';
import { randomAlphanumeric, randomToken, sha256Hex } from '../crypto/token-hash';
import { ApiKey } from '../entities/api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

const PREFIX_LENGTH = 12;
const SECRET_BYTES = 32;

/**
 * API keys of service accounts. Each key acts for the user who created it and never holds more
 * than that user does (checked here at creation and again on every request by AccessResolver).
 *
 * Listing and revoking are scoped to the keys the caller's user created, for admins too: a key
 * is a personal delegation of its creator's rights, and a hidden key is as good as absent (404).
 * An API key holding apikeys:manage may list and revoke its creator's keys but not mint new ones.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeysRepository,
    private readonly cache: AccessCache,
    private readonly audit: AuditWriter,
  ) {}

  async create(principal: Principal, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    if (principal.type !== 'user') throw new AuthException(AuthErrorCode.ApiKeyCannotMintKeys);
    assertMayGrant(principal, dto.permissions);
    const prefix = randomAlphanumeric(PREFIX_LENGTH);
    const secret = randomToken(SECRET_BYTES);
    const permissions = [...new Set(dto.permissions)].sort();
    const key = await this.dataSource.transaction(async (manager) => {
      const created = await this.apiKeys.insert(manager, {
        name: dto.name,
        prefix,
        secretHash: sha256Hex(secret),
        permissions,
        createdBy: principal.userId,
        expiresAt: dto.expiresAt ? new Date(dto.expiresAt) : null,
      });
      await this.audit.record(manager, {
        action: 'apikey.created',
        resource: { type: 'api_key', id: created.id },
        changes: {
          before: null,
          after: { name: created.name, prefix, permissions, expiresAt: created.expiresAt },
        },
      });
      return created;
    });
    return { ...toApiKeyDto(key), key: `${API_KEY_PREFIX}_${prefix}_${secret}` };
  }

  /** The caller's keys, newest first, revoked ones included (with `revokedAt`). */
  async list(principal: Principal, query: PageQueryDto): Promise<Page<ApiKeyDto>> {
    return mapPage(await this.apiKeys.pageCreatedBy(principal.userId, query), toApiKeyDto);
  }

  /** Revokes one of the caller's keys; every instance refuses it from the next request on. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const prefix = await this.dataSource.transaction(async (manager) => {
      const key = await this.lockOwnedKey(manager, principal, id);
      // Revoking twice changes nothing and stays a success, as DELETE is idempotent.
      if (key.revokedAt !== null) return key.prefix;
      const revokedAt = new Date();
      await this.apiKeys.markRevoked(manager, key.id, revokedAt);
      await this.audit.record(manager, {
        action: 'apikey.revoked',
        resource: { type: 'api_key', id: key.id },
        changes: { before: { revokedAt: null }, after: { revokedAt } },
        metadata: { name: key.name, prefix: key.prefix },
      });
      return key.prefix;
    });
    await this.cache.forgetApiKey(prefix);
  }

  private async lockOwnedKey(
    manager: EntityManager,
    principal: Principal,
    id: string,
  ): Promise<ApiKey> {
    const key = await this.apiKeys.lockCreatedBy(manager, principal.userId, id);
    if (!key) throw new NotFoundProblem('API key');
    return key;
  }
}
