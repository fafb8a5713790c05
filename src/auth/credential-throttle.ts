/**
 * Per-caller cap for routes that check a password, code or token, on top of the shared failed-login
 * lockout: it slows guessing without locking anyone out for long.
 */
export const CREDENTIAL_THROTTLE = { default: { limit: 20, ttl: 60_000 } };
