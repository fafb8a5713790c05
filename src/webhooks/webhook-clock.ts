import { Injectable } from '@nestjs/common';

/**
 * The time the delivery machinery schedules by (retries, leases, the 3-day disable), apart from
 * the database's clock so that a test can move it days ahead without waiting.
 */
@Injectable()
export class WebhookClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves this instance's clock forward (tests of what happens days later). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
