/**
 * Every PostgreSQL advisory-lock key of the project. Keys share one namespace per database: two
 * uses of one key would make unrelated work wait on each other, so each is named here, once.
 * A released key never changes: during a rolling upgrade, instances of two versions must still
 * exclude each other.
 */
export const AdvisoryLock = {
  /** Concurrent starts apply migrations one at a time. */
  Migrations: 7_401_337,
  /** One instance seals the audit chain at a time. */
  AuditSealer: 7_401_338,
  /** Concurrent first starts of several instances create one admin, not one each. */
  AdminBootstrap: 7_401_339,
  /** One instance turns sealed audit events into webhook deliveries at a time. */
  WebhookDispatcher: 7_401_340,
} as const;
