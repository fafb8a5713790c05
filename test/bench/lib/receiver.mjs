// A webhook receiver inside the bench process (on a worker thread): HTTPS with a certificate made
// for the run, which Bastion trusts through NODE_EXTRA_CA_CERTS, since production sends only to
// https:// URLs. Each path answers the status it is told; 2xx deliveries are recorded with their
// arrival time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SetupError } from './settings.mjs';

/** A self-signed P-256 certificate for 127.0.0.1; returns the paths of key and certificate. */
export function makeCertificate(dir) {
  const key = join(dir, 'receiver-key.pem');
  const cert = join(dir, 'receiver-cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=bench-receiver',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  } catch (error) {
    throw new SetupError(`openssl could not make the receiver's certificate: ${error.message}`);
  }
  return { key, cert };
}

export async function startReceiver({ key, cert }) {
  const worker = new Worker(new URL('./receiver-thread.mjs', import.meta.url), {
    workerData: { key: readFileSync(key), cert: readFileSync(cert) },
  });
  const port = await new Promise((resolvePort, reject) => {
    worker.once('error', reject);
    worker.once('message', (message) => resolvePort(message.port));
  });
  let nextId = 0;
  const ask = (message) =>
    new Promise((resolveReply) => {
      const id = ++nextId;
      const onMessage = (reply) => {
        if (reply.reply !== id) return;
        worker.off('message', onMessage);
        resolveReply(reply);
      };
      worker.on('message', onMessage);
      worker.postMessage({ ...message, id });
    });
  return {
    url: (path) => `https://127.0.0.1:${port}${path}`,
    /** From now on, `path` answers `status`. */
    answer: (path, status) => ask({ type: 'answer', path, status }),
    /**
     * What arrived at `path` so far: `accepted` as { id, type, objectId, occurredAt, arrivedAt }
     * (ms), and how many requests were `refused` (answered non-2xx).
     */
    async take(path) {
      const { accepted, refused } = await ask({ type: 'take', path });
      return {
        refused,
        accepted: accepted.map(([id, type, objectId, occurredAt, arrivedAt]) => ({
          id,
          type,
          objectId,
          occurredAt,
          arrivedAt,
        })),
      };
    },
    async stop() {
      await ask({ type: 'close' });
      await worker.terminate();
    },
  };
}
