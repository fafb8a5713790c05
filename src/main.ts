import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './bootstrap/create-app';
import { ConfigurationError, loadAppConfig } from './config/app-config';

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close pools, exit 0. (Nest's own
 * shutdown hooks re-raise the signal afterwards, which reports a clean stop as a kill.)
 */
function stopGracefullyOn(app: NestFastifyApplication): void {
  const stop = () => {
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Bastion failed to stop cleanly: ${(error as Error).stack}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function bootstrap(): Promise<void> {
  loadDotenv({ quiet: true });
  const config = loadAppConfig(process.env);
  const app = await createApp({ config });
  stopGracefullyOn(app);
  await app.listen({ port: config.http.port, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  // Before the logger exists: say what is wrong in one readable line and stop.
  const message = error instanceof ConfigurationError ? error.message : (error as Error).stack;
  process.stderr.write(`Bastion failed to start: ${message}\n`);
  process.exit(1);
});
