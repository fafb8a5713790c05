import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { createApp } from './bootstrap/create-app';
import { ConfigurationError, loadAppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  loadDotenv({ quiet: true });
  const config = loadAppConfig(process.env);
  const app = await createApp({ config });
  await app.listen({ port: config.http.port, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  // Before the logger exists: say what is wrong in one readable line and stop.
  const message = error instanceof ConfigurationError ? error.message : (error as Error).stack;
  process.stderr.write(`Bastion failed to start: ${message}\n`);
  process.exit(1);
});
