// The one-time setup as a command: `npm run example:fulfilment:setup` (see the README).
import { BastionClient, BastionProblem } from '@bastion/client';
import { ConfigError, parseUrl } from './config';
import { setupFulfilmentWorker } from './setup';

const REQUIRED = [
  'BASTION_URL',
  'BASTION_ADMIN_EMAIL',
  'BASTION_ADMIN_PASSWORD',
  'WORKER_URL',
] as const;

async function main(): Promise<void> {
  const missing = REQUIRED.filter((name) => !process.env[name]?.trim());
  if (missing.length > 0) {
    throw new ConfigError(
      `Missing ${missing.join(', ')}. WORKER_URL is where Bastion will post events, ` +
        'e.g. https://fulfilment.internal/bastion-events.',
    );
  }
  const env = process.env as Record<(typeof REQUIRED)[number], string>;
  const admin = new BastionClient({ baseUrl: parseUrl('BASTION_URL', env.BASTION_URL) });
  await admin.signIn({
    email: env.BASTION_ADMIN_EMAIL,
    password: env.BASTION_ADMIN_PASSWORD,
    ...(process.env.BASTION_ADMIN_OTP ? { otp: process.env.BASTION_ADMIN_OTP } : {}),
  });
  try {
    const result = await setupFulfilmentWorker({
      admin,
      workerUrl: parseUrl('WORKER_URL', env.WORKER_URL),
    });
    process.stdout.write(
      `Registered webhook endpoint ${result.endpointId} for order.paid at ${env.WORKER_URL}\n` +
        `Created API key ${result.apiKeyId} holding only orders:update:any\n\n` +
        'Give the worker these two; Bastion shows them this once (keep them in your secret store):\n' +
        `BASTION_API_KEY=${result.apiKey}\n` +
        `BASTION_WEBHOOK_SECRET=${result.webhookSecret}\n`,
    );
  } finally {
    // The admin session was for the setup only.
    await admin.signOut();
  }
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError || error instanceof BastionProblem
      ? error.message
      : ((error as Error).stack ?? String(error));
  process.stderr.write(`Setup failed: ${message}\n`);
  process.exit(1);
});
