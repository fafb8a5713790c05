// What the fulfilment worker offers to code that embeds it (its e2e test, for one).
export { ConfigError, loadWorkerConfig, type WorkerConfig } from './config';
export { fulfilOrder, type FulfilOutcome } from './fulfil';
export {
  setupFulfilmentWorker,
  WORKER_PERMISSIONS,
  type SetupOptions,
  type SetupResult,
} from './setup';
export {
  EVENTS_PATH,
  startFulfilmentWorker,
  type BastionEvent,
  type FulfilmentWorker,
  type FulfilmentWorkerOptions,
} from './worker';
