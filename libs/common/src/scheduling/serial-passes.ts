/**
 * A background job's passes in one process, one after another: a scheduled pass every
 * `intervalMs` after the previous one ends (the timer does not keep the process alive), and
 * passes asked for now (`run`) queued behind the running one. `stop()` ends the schedule and
 * waits for the running pass, so no pass outlives the connections it uses.
 */
export class SerialPasses {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly scheduledPass: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** True once `stop()` was called: a long pass may end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  start(): void {
    this.scheduleNext();
  }

  run<T>(pass: () => Promise<T>): Promise<T> {
    const running = this.queue.then(pass);
    this.queue = running.catch(() => undefined);
    return running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queue;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.run(this.scheduledPass)
        .catch(this.onError)
        .finally(() => this.scheduleNext());
    }, this.intervalMs);
    this.timer.unref();
  }
}
