import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestContext } from '@bastion/common';
import { AuditEventStore } from './audit-event.store';
import { AuditRecord, AuditWriter, eventIdsWrittenIn } from './audit-writer.service';

const ROUTE_ID_MAX = 64;

/** The event a denied or failed request needs, if any: 401/403 are denials, 5xx failures. */
export function eventForResponse(
  status: number,
  route: { method: string; pattern: string | undefined; path: string },
  problemType: string | undefined,
): AuditRecord | null {
  const reason = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : null;
  if (reason === null && status < 500) return null;
  const metadata = {
    status,
    method: route.method,
    path: route.path,
    ...(reason ? { reason } : {}),
    ...(problemType ? { problem: problemType.slice(problemType.lastIndexOf('/') + 1) } : {}),
  };
  return {
    action: reason ? 'access.denied' : 'request.failed',
    outcome: reason ? 'denied' : 'failure',
    resource: {
      type: 'route',
      id: `${route.method} ${route.pattern ?? route.path}`.slice(0, ROUTE_ID_MAX),
    },
    metadata,
  };
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
 * Records denials (401, 403) and failures (5xx) of any route, outside any business transaction,
 * as one event per request, unless the service handling it already committed an event of its own
 * (a failed login is `auth.login_failed`, not also `access.denied`). It hooks the response on its
 * way out, so guards, pipes and filters need not know about it, and the event is written before
 * the caller sees the answer.
 */
@Injectable()
export class DenialRecorder implements OnModuleInit {
  private readonly logger = new Logger(DenialRecorder.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly writer: AuditWriter,
    private readonly store: AuditEventStore,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', async (request, reply, payload) => {
      await this.recordIfNeeded(request, reply, payload);
      return payload;
    });
  }

  private async recordIfNeeded(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
  ): Promise<void> {
    const status = reply.statusCode;
    // Most answers need nothing: decide on the status before reading the body.
    if (status !== 401 && status !== 403 && status < 500) return;
    const record = eventForResponse(
      status,
      {
        method: request.method,
        pattern: request.routeOptions.url,
        path: request.url.split('?')[0],
      },
      problemTypeOf(payload),
    );
    const context = requestContext.current();
    if (!record || !context) return;
    try {
      if (await this.store.anyCommitted(eventIdsWrittenIn(context))) return;
      await this.writer.recordAlone(record);
    } catch (error) {
      // The answer must still go out; the log line keeps the lost event visible.
      this.logger.error({ err: error, requestId: context.requestId }, 'Audit event not recorded');
    }
  }
}
