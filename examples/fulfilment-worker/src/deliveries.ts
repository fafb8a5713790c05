/**
 * Remembers which deliveries were handled, by `webhook-id`. Bastion delivers each event at least
 * once (a lost 2xx, a manual retry, a second instance taking over a lease), always under the
 * same id, so the worker acts on an id once:
 *
 * - an id handled already is answered at once, without calling Bastion again;
 * - an id being handled right now is not handled twice: the second delivery waits for the first;
 * - an id whose handling failed is forgotten, so that Bastion's retry does the work.
 *
 * The memory is this process's only and bounded. A restart forgets, which is why fulfilling is
 * also safe to repeat (`fulfil.ts`); a worker whose own side effects must happen once (a parcel
 * booked with a carrier) keeps these ids in its database, in the transaction of that effect.
 */
export class DeliveryLog<T> {
  private readonly done = new Map<string, T>();
  private readonly running = new Map<string, Promise<T>>();

  private readonly capacity: number;

  // No parameter property: Node runs this file by stripping types, which cannot rewrite one.
  constructor(capacity = 10_000) {
    this.capacity = capacity;
  }

  /** Runs `handle` for a new id; for an id seen before, the first outcome and `duplicate`. */
  async once(id: string, handle: () => Promise<T>): Promise<{ outcome: T; duplicate: boolean }> {
    if (this.done.has(id)) return { outcome: this.done.get(id) as T, duplicate: true };
    const running = this.running.get(id);
    if (running) return { outcome: await running, duplicate: true };

    const attempt = handle();
    this.running.set(id, attempt);
    try {
      const outcome = await attempt;
      this.remember(id, outcome);
      return { outcome, duplicate: false };
    } finally {
      this.running.delete(id);
    }
  }

  private remember(id: string, outcome: T): void {
    this.done.set(id, outcome);
    // A Map iterates in insertion order: the first key is the oldest id.
    if (this.done.size > this.capacity) this.done.delete(this.done.keys().next().value as string);
  }
}
