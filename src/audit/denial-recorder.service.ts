import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '@bastion/common';
import { INVALID_TOKEN, isCredentialRoute } from '@bastion/rbac';
import { AnonymousDenialTally } from './anonymous-denial-tally.service';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditRecord, AuditWriter, eventIdsWrittenIn } from './audit-writer.service';

const ROUTE_ID_MAX = 64;
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Statuses below 500 that may need an event. */
const RECORDED = new Set([401, 403, 409, 412]);

function slugOf(problemType: string | undefined): string | undefined {
  return problemType?.slice(problemType.lastIndexOf('/') + 1);
}

/**
 * The event an answer needs, if any: 401/403 are denials; a state change refused by the rules
 * (409, 412) is a failure with the problem's slug as the reason; 5xx are failures.
 */
export function eventForResponse(
  status: number,
  route: { method: string; pattern: string | undefined; path: string },
  problemType: string | undefined,
): AuditRecord | null {
  const problem = slugOf(problemType);
  const resource = {
    type: 'route',
    id: `${route.method} ${route.pattern ?? route.path}`.slice(0, ROUTE_ID_MAX),
  };
  const request = { status, method: route.method, path: route.path };
  if (status === 401 || status === 403) {
    return {
      action: 'access.denied',
      outcome: 'denied',
      resource,
      metadata: {
        ...request,
        reason: status === 401 ? 'unauthenticated' : 'forbidden',
        ...(problem ? { problem } : {}),
      },
    };
  }
  if ((status === 409 || status === 412) && STATE_CHANGING.has(route.method)) {
    return {
      action: 'request.refused',
      outcome: 'failure',
      resource,
      metadata: { ...request, reason: problem ?? String(status) },
    };
  }
  if (status < 500) return null;
  return {
    action: 'request.failed',
    outcome: 'failure',
    resource,
    metadata: { ...request, ...(problem ? { problem } : {}) },
  };
}

/**
 * Login, refresh and MFA attempts stay one event each: they are rate limited. A request that
 * authentication refused (no valid access token or API key) never got as far as an attempt.
 */
function isCredentialAttempt(request: FastifyRequest, problem: string | undefined): boolean {
  return isCredentialRoute(request) && problem !== INVALID_TOKEN;
}

function problemTypeOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string') return undefined;
  try {
    const body = JSON.parse(payload) as { type?: unknown };
    return typeof body.type === 'string' ? body.type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records denials (401, 403), refusals (409, 412 to a state change) and failures (5xx) of any
 * route, outside any business transaction (a refused change's own transaction rolled back), as
 * one event per request, unless the service handling it already committed an event of its own
 * (a failed login is `auth.login_failed`, not also `access.denied`). A 401 outside the credential
 * routes is counted instead (AnonymousDenialTally): one event per address, reason and minute. It
 * hooks the response on its way out, so guards, pipes and filters need not know about it, and the
 * event is written (or counted) before the caller sees the answer.
 */
@Injectable()
export class DenialRecorder implements OnModuleInit {
  private readonly logger = new Logger(DenialRecorder.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly writer: AuditWriter,
    private readonly events: AuditEventsRepository,
    private readonly tally: AnonymousDenialTally,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', async (request, reply, payload) => {
      await this.recordIfNeeded(request, reply, payload);
      return payload;
    });
    // Runs once the requests still in flight at shutdown have been answered, before the database
    // closes.
    fastify.addHook('onClose', () => this.tally.flush());
  }

  private async recordIfNeeded(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
  ): Promise<void> {
    const status = reply.statusCode;
    // Most answers need nothing: decide on the status before reading the body.
    if (!RECORDED.has(status) && status < 500) return;
    const problemType = problemTypeOf(payload);
    const problem = slugOf(problemType);
    const record = eventForResponse(
      status,
      {
        method: request.method,
        pattern: request.routeOptions.url,
        path: request.url.split('?')[0],
      },
      problemType,
    );
    const context = requestContext.current();
    if (!record || !context) return;
    try {
      if (await this.events.anyCommitted(eventIdsWrittenIn(context))) return;
      if (status === 401 && !isCredentialAttempt(request, problem)) {
        await this.tally.count(problem ?? 'unauthenticated', record, context);
      } else {
        await this.writer.recordAlone(record);
      }
    } catch (error) {
      // The answer must still go out; the log line keeps the lost event visible.
      this.logger.error({ err: error, requestId: context.requestId }, 'Audit event not recorded');
    }
  }
}
