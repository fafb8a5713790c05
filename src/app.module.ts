import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageService } from '@nestjs/throttler';
import Redis from 'ioredis';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ProblemDetailsFilter, UndeclaredInputGuard } from '@bastion/common';
import { DatabaseModule, REDIS_CLIENT, SharedStoreModule } from '@bastion/database';
import { PermissionsGuard } from '@bastion/rbac';
import { AuditModule } from './audit/audit.module';
import { AuthenticationGuard } from './auth/access/authentication.guard';
import { AuthModule } from './auth/auth.module';
import { SsoModule } from './auth/sso/sso.module';
import { CallerThrottlerGuard, ThrottleVerdictGuard } from './bootstrap/caller-throttler.guard';
import { FallbackThrottlerStorage } from './bootstrap/fallback-throttler.storage';
import { LeasedThrottlerStorage } from './bootstrap/leased-throttler.storage';
import { loggerOptions } from './bootstrap/logger-options';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { MetricsService } from './health/metrics.service';
import { OrdersModule } from './orders/orders.module';
import { PaymentsModule } from './payments/payments.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks';

export interface AppModuleOptions {
  config: AppConfig;
  /** Dumped, migrated PGlite data directory to start an in-memory database from (tests). */
  embeddedSeed?: Blob;
}

@Module({})
export class AppModule {
  /** `logger`: the process's pino logger, which createApp also hands to the request log. */
  static forRoot({
    config,
    logger,
    embeddedSeed,
  }: AppModuleOptions & { logger: Logger }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(logger)),
        DatabaseModule.forRoot({
          url: config.database.url,
          migrationUrl: config.database.migrationUrl,
          dataDir: config.database.dataDir,
          embeddedSeed,
        }),
        SharedStoreModule.forRoot({
          redisUrl: config.redis.url,
          keyPrefix: config.redis.keyPrefix,
        }),
        ThrottlerModule.forRootAsync({
          inject: [AppConfig, REDIS_CLIENT, MetricsService],
          useFactory: (appConfig: AppConfig, redis: Redis | null, metrics: MetricsService) => ({
            throttlers: [
              { ttl: appConfig.rateLimit.ttlSeconds * 1000, limit: appConfig.rateLimit.max },
            ],
            storage: new FallbackThrottlerStorage(
              redis ? new LeasedThrottlerStorage(redis) : new ThrottlerStorageService(),
              metrics.rateLimitLocalFallback,
            ),
          }),
        }),
        HealthModule,
        AuditModule,
        AuthModule,
        SsoModule,
        UsersModule,
        OrdersModule,
        PaymentsModule,
        WebhooksModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Order matters: who is calling, how often, whether they may, then what they sent. The
        // rate-limit count leaves first, with authentication's look-ups; its verdict follows them.
        { provide: APP_GUARD, useClass: CallerThrottlerGuard },
        { provide: APP_GUARD, useExisting: AuthenticationGuard },
        { provide: APP_GUARD, useClass: ThrottleVerdictGuard },
        { provide: APP_GUARD, useClass: PermissionsGuard },
        { provide: APP_GUARD, useClass: UndeclaredInputGuard },
      ],
    };
  }
}
