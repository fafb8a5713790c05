/** What the running worker needs, and nothing more: its key, its endpoint's secret, a port. */
export interface WorkerConfig {
  /** Where Bastion is, without `/v1`. */
  bastionUrl: string;
  /** The key created by the setup step; it holds only `orders:update:any`. */
  apiKey: string;
  /** The endpoint's `whsec_…` secret; during a rotation, the old and new ones comma-separated. */
  webhookSecrets: string[];
  port: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const REQUIRED = ['BASTION_URL', 'BASTION_API_KEY', 'BASTION_WEBHOOK_SECRET'] as const;
const DEFAULT_PORT = 8080;

/**
 * Reads the worker's configuration from the environment. Every missing variable is named at once,
 * so that a misconfigured deployment fails at start, in one message, and not at the first order.
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new ConfigError(
      `Missing ${missing.join(', ')}. Run the setup step once (see examples/fulfilment-worker/README.md) ` +
        'and give the worker the key and secret it prints.',
    );
  }
  const bastionUrl = parseUrl('BASTION_URL', env.BASTION_URL as string);
  const webhookSecrets = (env.BASTION_WEBHOOK_SECRET as string)
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  const malformed = webhookSecrets.find((secret) => !/^whsec_[A-Za-z0-9+/]+=*$/.test(secret));
  if (malformed !== undefined) {
    throw new ConfigError('BASTION_WEBHOOK_SECRET must be whsec_<base64>, as Bastion shows it');
  }
  return {
    bastionUrl,
    apiKey: (env.BASTION_API_KEY as string).trim(),
    webhookSecrets,
    port: parsePort(env.PORT),
  };
}

export function parseUrl(name: string, value: string): string {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(url.protocol);
    return url.href.replace(/\/+$/, '');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, e.g. https://bastion.internal`);
  }
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('PORT must be a port number (0-65535)');
  }
  return port;
}
