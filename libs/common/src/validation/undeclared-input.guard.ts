import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { FastifyRequest } from 'fastify';
import { FieldError, ValidationProblem } from '../problem/problem';

interface RouteArgument {
  index: number;
  data?: unknown;
}

/** Which query keys or body fields a handler reads: all (a DTO), some (named), or none. */
type Declared = 'all' | Set<string>;

interface HandlerInputs {
  query: Declared;
  body: Declared;
  /** Reads the request or its raw body itself, so no body field is undeclared. */
  readsRawRequest: boolean;
}

function declared(argumentsByKey: Record<string, RouteArgument>, type: RouteParamtypes): Declared {
  const names = new Set<string>();
  for (const [key, argument] of Object.entries(argumentsByKey)) {
    if (Number(key.split(':')[0]) !== Number(type)) continue;
    if (typeof argument.data !== 'string') return 'all';
    names.add(argument.data);
  }
  return names;
}

function undeclared(values: unknown, allowed: Declared, describe: string): FieldError[] {
  if (allowed === 'all' || values === null || typeof values !== 'object') return [];
  return Object.keys(values)
    .filter((key) => !allowed.has(key))
    .map((field) => ({ field, message: `is not an accepted ${describe}` }));
}

/**
 * Unknown input is rejected, not ignored, also on routes that declare no DTO: the global
 * ValidationPipe only sees the query strings and bodies that a handler asks for.
 */
@Injectable()
export class UndeclaredInputGuard implements CanActivate {
  // What each handler reads never changes; working it out took a metadata walk per request.
  private readonly inputsByHandler = new WeakMap<object, HandlerInputs>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const inputs = this.inputsOf(context);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const errors = [
      ...undeclared(request.query, inputs.query, 'query parameter'),
      ...(inputs.readsRawRequest ? [] : undeclared(request.body, inputs.body, 'field')),
    ];
    if (errors.length > 0) throw new ValidationProblem(errors);
    return true;
  }

  private inputsOf(context: ExecutionContext): HandlerInputs {
    const handler = context.getHandler();
    let inputs = this.inputsByHandler.get(handler);
    if (!inputs) {
      const argumentsByKey =
        (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) as
          Record<string, RouteArgument> | undefined) ?? {};
      inputs = {
        query: declared(argumentsByKey, RouteParamtypes.QUERY),
        body: declared(argumentsByKey, RouteParamtypes.BODY),
        readsRawRequest: Object.keys(argumentsByKey).some((key) => {
          const type = Number(key.split(':')[0]);
          return (
            type === Number(RouteParamtypes.REQUEST) || type === Number(RouteParamtypes.RAW_BODY)
          );
        }),
      };
      this.inputsByHandler.set(handler, inputs);
    }
    return inputs;
  }
}
