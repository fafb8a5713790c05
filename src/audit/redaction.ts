const SECRET_KEY = /password|token|secret|otp|key|authorization|cookie/i;
export const REDACTED = '[REDACTED]';

/** One redaction policy for everything the audit log stores, applied at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        SECRET_KEY.test(key) ? REDACTED : redact(inner),
      ]),
    );
  }
  return value;
}
