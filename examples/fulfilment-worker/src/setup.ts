import type { BastionClient } from '@bastion/client';

export interface SetupOptions {
  /**
   * A client signed in as someone who may manage webhooks and API keys (`webhooks:manage`,
   * `apikeys:manage`) and who holds `orders:update:any` (nobody can mint a key with more than
   * they hold): an admin, once.
   */
  admin: BastionClient;
  /** The URL Bastion will post to: the worker's URL and its events path. */
  workerUrl: string;
  /** The key's name in `GET /v1/api-keys`. */
  keyName?: string;
}

export interface SetupResult {
  endpointId: string;
  /** `whsec_…`: Bastion shows it this once. The worker's BASTION_WEBHOOK_SECRET. */
  webhookSecret: string;
  apiKeyId: string;
  /** Shown this once, stored hashed by Bastion. The worker's BASTION_API_KEY. */
  apiKey: string;
}

/** The one permission the worker's key holds: fulfil paid orders (and edit pending ones). */
export const WORKER_PERMISSIONS = ['orders:update:any'] as const;

/**
 * The one-time setup: subscribes the worker's URL to `order.paid` and mints the worker's key.
 * The admin's session is used for this only; the worker itself runs with the key and the secret,
 * so a leak of the worker's configuration can fulfil orders and do nothing else.
 */
export async function setupFulfilmentWorker(options: SetupOptions): Promise<SetupResult> {
  const { admin, workerUrl } = options;
  // A second endpoint for the same URL would get a secret of its own that the worker does not
  // hold: its deliveries would fail verification and be retried for days.
  for await (const endpoint of admin.paginate('/v1/webhook-endpoints', { query: { limit: 100 } })) {
    if (endpoint.url === workerUrl) {
      throw new Error(
        `An endpoint for ${workerUrl} exists already (${endpoint.id}). Delete it, or rotate its ` +
          'secret (POST /v1/webhook-endpoints/:id/rotate-secret) if the secret was lost.',
      );
    }
  }
  const endpoint = await admin.POST('/v1/webhook-endpoints', {
    body: {
      url: workerUrl,
      events: ['order.paid'],
      description: 'Fulfilment worker: fulfils each paid order',
    },
  });
  try {
    const key = await admin.POST('/v1/api-keys', {
      body: { name: options.keyName ?? 'fulfilment-worker', permissions: [...WORKER_PERMISSIONS] },
    });
    return {
      endpointId: endpoint.id,
      webhookSecret: endpoint.secret,
      apiKeyId: key.id,
      apiKey: key.key,
    };
  } catch (error) {
    // Without a key the endpoint is of no use: remove it, so that setup can simply run again.
    await admin.DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id: endpoint.id } } });
    throw error;
  }
}
