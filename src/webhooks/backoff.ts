/** A delivery is retried for this long after the event, then given up. */
export const RETRY_WINDOW_MS = 3 * 24 * 3600 * 1000;
/** An endpoint whose deliveries have all failed for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 3600 * 1000;
const MAX_DELAY_MS = 3600 * 1000;

/**
 * Delay before the attempt after `attempts` failed ones: the base doubled each time, capped at an
 * hour, with "full jitter" over its upper half so that receivers coming back up are not hit by
 * every delivery at the same instant.
 */
export function retryDelayMs(
  baseMs: number,
  attempts: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const ceiling = Math.min(baseMs * 2 ** exponent, MAX_DELAY_MS);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
