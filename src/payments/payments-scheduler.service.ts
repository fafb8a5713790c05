import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { IdempotencyService } from './idempotency/idempotency.service';
import { PaymentsReconciler } from './payments-reconciler.service';

const INTERVAL_MS = 60_000;

/**
 * Every minute: settle attempts a crash left pending, and purge expired idempotency keys. Each
 * instance runs it; both jobs are safe to run concurrently (row locks, first outcome wins).
 */
@Injectable()
export class PaymentsScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PaymentsScheduler.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly reconciler: PaymentsReconciler,
    private readonly idempotency: IdempotencyService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.tick());
    }, INTERVAL_MS);
    // The schedule alone must not keep a process alive (CLI, tests).
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    // Let a run in progress finish before the database connection goes away.
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      const settled = await this.reconciler.reconcile();
      const purged = await this.idempotency.purgeExpired();
      if (settled.payments + settled.refunds + purged > 0) {
        this.logger.log({ ...settled, purgedIdempotencyKeys: purged }, 'Payments housekeeping');
      }
    } catch (error) {
      this.logger.error({ err: error }, 'Payments housekeeping failed');
    }
  }
}
