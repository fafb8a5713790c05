// The worker as a process: `npm run example:fulfilment` (see the README).
import { ConfigError, loadWorkerConfig } from './config';
import { startFulfilmentWorker } from './worker';

const log = (message: string) => process.stdout.write(`${new Date().toISOString()} ${message}\n`);

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const worker = await startFulfilmentWorker({
    bastionUrl: config.bastionUrl,
    apiKey: config.apiKey,
    webhookSecrets: config.webhookSecrets,
    port: config.port,
    // All interfaces: Bastion reaches the worker over the network.
    host: '0.0.0.0',
    log,
  });
  log(`Fulfilment worker listening on ${worker.url}; Bastion at ${config.bastionUrl}`);
  const stop = () => {
    log('Stopping: finishing the deliveries in progress');
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  );
  process.exit(1);
});
