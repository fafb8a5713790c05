import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { pgPoolOf } from '@bastion/database';

/** Per endpoint: seconds since the oldest undelivered event's change committed. */
export type WebhookBacklogReader = () => Promise<{ endpointId: string; seconds: number }[]>;

/** Prometheus metrics of this process: HTTP traffic by route pattern, event loop, DB pool. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly rateLimitLocalFallback: Counter;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly webhookLatency: Histogram;
  private webhookBacklogReader: WebhookBacklogReader | null = null;
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'bastion_',
      eventLoopMonitoringPrecision: 20,
    });
    this.requests = new Counter({
      name: 'bastion_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'bastion_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.rateLimitLocalFallback = new Counter({
      name: 'bastion_rate_limit_local_fallback_total',
      help: 'Requests limited per instance because the shared rate-limit storage was unavailable',
      registers: [this.registry],
    });
    this.webhookDeliveries = new Counter({
      name: 'bastion_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: succeeded, failed (will retry), given_up',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.webhookLatency = new Histogram({
      name: 'bastion_webhook_delivery_latency_seconds',
      help: "From a change's commit to the receiver's 2xx",
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400],
      registers: [this.registry],
    });
    const backlog = () => this.webhookBacklogReader;
    new Gauge({
      name: 'bastion_webhook_oldest_undelivered_seconds',
      help: "Per enabled endpoint, age of the oldest undelivered event's change",
      labelNames: ['endpoint'],
      registers: [this.registry],
      async collect() {
        const read = backlog();
        if (!read) return;
        this.reset();
        for (const { endpointId, seconds } of await read())
          this.set({ endpoint: endpointId }, seconds);
      },
    });
    const poolGauge = (name: string, help: string, read: (pool: Pool) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const current = pgPoolOf(dataSource);
          if (current) this.set(read(current));
        },
      });
    poolGauge('bastion_db_pool_connections', 'Open database connections', (p) => p.totalCount);
    poolGauge('bastion_db_pool_idle_connections', 'Idle database connections', (p) => p.idleCount);
    poolGauge(
      'bastion_db_pool_waiting_requests',
      'Queries waiting for a connection',
      (p) => p.waitingCount,
    );
  }

  /** Where the webhook backlog gauge reads from, at each scrape. */
  webhookBacklog(reader: WebhookBacklogReader): void {
    this.webhookBacklogReader = reader;
  }

  /** Records every response under its route pattern (`/v1/users/:id`), never the raw URL. */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      this.requests.inc(labels);
      this.duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
