import { Controller, Get, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ForbiddenProblem } from '@bastion/common';
import { Authenticated, Public, RequirePermissionOrSelf, RequirePermissions } from './decorators';
import { expandPermissions, Permission } from './permission';
import { PermissionsGuard } from './permissions.guard';
import { Principal } from './principal';

@Controller('things')
class ThingsController {
  @Public()
  @Get('public')
  open(): string {
    return 'open';
  }

  @Get('forgotten')
  forgotten(): string {
    return 'forgotten';
  }

  @RequirePermissions(Permission.UsersRead, Permission.UsersWrite)
  @Get('users')
  users(): string {
    return 'users';
  }

  @RequirePermissions(Permission.OrdersReadOwn)
  @Get('orders')
  orders(): string {
    return 'orders';
  }

  @Authenticated('only themselves')
  @Get('me')
  me(): string {
    return 'me';
  }

  @RequirePermissionOrSelf(Permission.UsersRead, 'or the caller themself')
  @Get('users/:id')
  user(): string {
    return 'user';
  }
}

@Public()
@Controller('health')
class PublicController {
  @Get()
  check(): string {
    return 'ok';
  }
}

@RequirePermissions(Permission.AuditRead)
@Controller('audit')
class AuditController {
  @Get()
  list(): string {
    return 'list';
  }

  @RequirePermissions(Permission.AuditExport)
  @Get('export')
  exportAll(): string {
    return 'export';
  }
}

type Handler = (...args: never[]) => unknown;

function principalWith(permissions: string[]): Principal {
  return {
    type: 'user',
    id: 'user-1',
    userId: 'user-1',
    display: 'user@example.com',
    roles: [],
    permissions: expandPermissions(permissions),
  };
}

describe('PermissionsGuard', () => {
  const guard = new PermissionsGuard(new Reflector());

  function canActivate(
    controller: Type<unknown>,
    handler: Handler,
    principal?: Principal,
  ): boolean {
    const request = principal ? { principal } : {};
    const context = new ExecutionContextHost([request, {}], controller, handler);
    return guard.canActivate(context);
  }

  const proto = ThingsController.prototype;

  it('lets a public route through without a principal', () => {
    expect(canActivate(ThingsController, proto.open)).toBe(true);
  });

  it('honours @Public on the controller class', () => {
    expect(canActivate(PublicController, PublicController.prototype.check)).toBe(true);
  });

  it('refuses a route without any access decorator, even to a principal holding everything', () => {
    const everyone = principalWith(Object.values(Permission));

    expect(() => canActivate(ThingsController, proto.forgotten, everyone)).toThrow(
      ForbiddenProblem,
    );
    expect(() => canActivate(ThingsController, proto.forgotten)).toThrow(ForbiddenProblem);
  });

  it('refuses a principal holding none of the listed permissions', () => {
    expect(() =>
      canActivate(ThingsController, proto.users, principalWith(['orders:read:any'])),
    ).toThrow(ForbiddenProblem);
  });

  it('refuses a protected route without a principal', () => {
    expect(() => canActivate(ThingsController, proto.users)).toThrow(ForbiddenProblem);
  });

  it('lets a principal holding one of the listed permissions through', () => {
    expect(canActivate(ThingsController, proto.users, principalWith(['users:write']))).toBe(true);
    expect(canActivate(ThingsController, proto.users, principalWith(['users:read']))).toBe(true);
  });

  it('lets :any satisfy a route that asks for :own', () => {
    expect(canActivate(ThingsController, proto.orders, principalWith(['orders:read:any']))).toBe(
      true,
    );
  });

  it('lets any authenticated principal through an @Authenticated route', () => {
    expect(canActivate(ThingsController, proto.me, principalWith([]))).toBe(true);
  });

  it('leaves a @RequirePermissionOrSelf route to the service, for a principal only', () => {
    expect(canActivate(ThingsController, proto.user, principalWith([]))).toBe(true);
    expect(() => canActivate(ThingsController, proto.user)).toThrow(ForbiddenProblem);
  });

  it('refuses an @Authenticated route without a principal', () => {
    expect(() => canActivate(ThingsController, proto.me)).toThrow(ForbiddenProblem);
  });

  it('applies class-level permissions and lets the handler override them', () => {
    const auditor = principalWith(['audit:read']);
    const exporter = principalWith(['audit:export']);

    expect(canActivate(AuditController, AuditController.prototype.list, auditor)).toBe(true);
    expect(() => canActivate(AuditController, AuditController.prototype.list, exporter)).toThrow(
      ForbiddenProblem,
    );
    expect(canActivate(AuditController, AuditController.prototype.exportAll, exporter)).toBe(true);
    expect(() =>
      canActivate(AuditController, AuditController.prototype.exportAll, auditor),
    ).toThrow(ForbiddenProblem);
  });
});
