import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { createApp } from '../../bootstrap';
import { loadAppConfig } from '../../config/app-config';
import { PaymentsReconciler } from '../payments-reconciler.service';

/**
 * `npm run payments:reconcile`: settles every attempt left pending, then exits. It builds the
 * whole application (without listening) so settlement runs exactly as in the server, audit
 * hooks included. With the embedded database, stop the server first: it locks DATA_DIR.
 */
async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const app = await createApp({ config: loadAppConfig(process.env) });
  try {
    const report = await app.get(PaymentsReconciler).reconcile();
    process.stdout.write(
      `Reconciled ${report.payments} payment(s) and ${report.refunds} refund(s).\n`,
    );
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Reconciliation failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
