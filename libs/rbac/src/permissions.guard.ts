import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenProblem } from '@bastion/common';
import { IS_PUBLIC, REQUIRED_PERMISSIONS, RequestWithPrincipal } from './decorators';
import { Permission } from './permission';
import { holdsAny } from './principal';

/**
 * Global: a route that is neither public nor declares its permissions is refused, so a
 * forgotten decorator cannot open a route.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(
      REQUIRED_PERMISSIONS,
      targets,
    );
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    if (!required || !principal) throw new ForbiddenProblem();
    if (required.length > 0 && !holdsAny(principal, required)) throw new ForbiddenProblem();
    return true;
  }
}
