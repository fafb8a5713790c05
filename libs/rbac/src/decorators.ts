import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Permission } from './permission';
import { Principal } from './principal';

export const IS_PUBLIC = 'bastion:public';
export const REQUIRED_PERMISSIONS = 'bastion:permissions';
export const API_KEY_SECURITY = 'apiKey';
export const BEARER_SECURITY = 'bearer';

/** The route needs no credential. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

function authenticatedDocs() {
  return [
    ApiBearerAuth(BEARER_SECURITY),
    ApiSecurity(API_KEY_SECURITY),
    ApiUnauthorizedResponse({
      description: 'No credential, or an invalid, expired or revoked one.',
    }),
  ];
}

/**
 * The caller needs at least one of these permissions (`:any` includes `:own`). Feeds the
 * permission guard and the OpenAPI document (`x-permissions`, security, 401/403).
 */
export function RequirePermissions(...permissions: [Permission, ...Permission[]]) {
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSIONS, permissions),
    ApiExtension('x-permissions', permissions),
    ...authenticatedDocs(),
    ApiForbiddenResponse({
      description: 'The caller holds no permission that could grant this route.',
    }),
  );
}

/**
 * The caller needs `permission`, unless acting on themself as far as `self` says. The guard lets
 * every authenticated caller through and the service applies the permission or the exception; the
 * OpenAPI document names the permission (`x-permissions`) and the exception (`x-permission-rule`).
 */
export function RequirePermissionOrSelf(permission: Permission, self: string) {
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSIONS, []),
    ApiExtension('x-permissions', [permission]),
    ApiExtension('x-permission-rule', self),
    ...authenticatedDocs(),
  );
}

/** Any authenticated caller; the service decides what they may see (e.g. only themselves). */
export function Authenticated(rule?: string) {
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSIONS, []),
    ApiExtension('x-permissions', []),
    ...(rule ? [ApiExtension('x-permission-rule', rule)] : []),
    ...authenticatedDocs(),
  );
}

export interface RequestWithPrincipal extends FastifyRequest {
  principal?: Principal;
}

/** The authenticated caller; only on routes that are not public. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
