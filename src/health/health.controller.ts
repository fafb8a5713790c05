import { Controller, Get, Headers, Header, Ip, VERSION_NEUTRAL } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { SharedStore } from '@bastion/database';
import { Public } from '@bastion/rbac';
import { ProblemException } from '@bastion/common';
import { timingSafeEqual } from 'node:crypto';
import { AuthenticationFailures } from '../auth';
import { AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';
import { ShutdownDrain, ShuttingDownProblem } from './shutdown-drain.service';

@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly store: SharedStore,
    private readonly metrics: MetricsService,
    private readonly drain: ShutdownDrain,
    private readonly config: AppConfig,
    private readonly failures: AuthenticationFailures,
  ) {}

  @Get('health/live')
  @ApiOperation({
    summary: 'Liveness: the process is up',
    description:
      'Stays 200 while the instance drains before shutdown: it is stopping on purpose, not stuck.',
  })
  @ApiOkResponse({ description: 'The process is up.', schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database and Redis are reachable',
    description:
      'Turns 503 as soon as the instance is told to stop (SIGTERM/SIGINT) and drains for `SHUTDOWN_DRAIN_MS`: load balancers take it out of rotation before it closes.',
  })
  @ApiOkResponse({ description: 'Ready to serve.' })
  @ApiServiceUnavailableResponse({
    description:
      'A dependency is unreachable, or the instance is shutting down (`/shutting-down`).',
  })
  async ready(): Promise<HealthCheckResult> {
    if (this.drain.draining) throw new ShuttingDownProblem();
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('sharedStore');
        try {
          await this.store.ping();
          return indicator.up({ mode: this.store.distributed ? 'redis' : 'in-process' });
        } catch {
          return indicator.down();
        }
      },
    ]);
  }

  @Get('metrics')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set.',
  })
  @ApiHeader({
    name: 'authorization',
    required: false,
    description: '`Bearer <METRICS_TOKEN>`; required only when METRICS_TOKEN is set.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format.', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({
    description: 'METRICS_TOKEN is set and the bearer token does not match.',
  })
  @ApiTooManyRequestsResponse({
    description:
      'Too many requests with invalid credentials from this address (`/too-many-failed-authentications`).',
  })
  @Header('content-type', 'text/plain; version=0.0.4')
  async scrape(
    @Ip() ip: string,
    @Headers('authorization') authorization?: string,
  ): Promise<string> {
    const token = this.config.http.metricsToken;
    // Counted with every other failed authentication of the address, so guessing the token is
    // limited like guessing an access token.
    if (token) await this.failures.assertAllowed(ip);
    if (token && !bearerMatches(authorization, token)) {
      await this.failures.record(ip);
      throw new ProblemException({
        status: 401,
        slug: 'unauthorized',
        title: 'Unauthorized',
        detail: 'Send Authorization: Bearer <METRICS_TOKEN>.',
      });
    }
    return this.metrics.registry.metrics();
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
