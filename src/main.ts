import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { config as loadDotenv } from 'dotenv';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './bootstrap/create-app';
import { ConfigurationError, loadAppConfig } from './config/app-config';
import { ShutdownDrain } from './health/shutdown-drain.service';

/**
 * SIGTERM/SIGINT: drain for `drainMs` (readiness 503, every answer closing its connection) so
 * load balancers and kept-alive clients move off, then stop accepting without resetting anyone,
 * let in-flight requests finish, close pools, exit 0. A second signal cuts the drain short.
 * (Nest's own shutdown hooks would re-raise the signal afterwards, which reports a clean stop as
 * a kill.)
 */
function stopGracefullyOn(app: NestFastifyApplication, drainMs: number): void {
  const drain = app.get(ShutdownDrain);
  const logger = new Logger('Shutdown');
  const stop = (signal: NodeJS.Signals) => {
    if (drain.draining) {
      drain.end();
      return;
    }
    logger.log(`${signal}: draining for ${drainMs} ms, then closing`);
    drain
      .run(drainMs)
      .then(() => drain.stopListening())
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`Bastion failed to stop cleanly: ${(error as Error).stack}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function bootstrap(): Promise<void> {
  loadDotenv({ quiet: true });
  const config = loadAppConfig(process.env);
  const app = await createApp({ config });
  stopGracefullyOn(app, config.http.shutdownDrainMs);
  await app.listen({ port: config.http.port, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  // Before the logger exists: say what is wrong in one readable line and stop.
  const message = error instanceof ConfigurationError ? error.message : (error as Error).stack;
  process.stderr.write(`Bastion failed to start: ${message}\n`);
  process.exit(1);
});
