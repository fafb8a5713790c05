import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { CheckedTarget } from './url-guard';

/** A 2xx within this time is a success; anything slower is a failure and is retried. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/**
 * POSTs the body to the checked address, never another: the connection's DNS lookup answers with
 * the address that was checked, so a rebinding DNS cannot swap it between check and connect.
 * Redirects are not followed (a 3xx is a failure), and TLS still verifies the URL's host name.
 */
export function postSigned(
  target: CheckedTarget,
  headers: Record<string, string>,
  body: string,
): Promise<SendResult> {
  const { url, address, family } = target;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const options: RequestOptions & { servername?: string } = {
    method: 'POST',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    lookup: pinned,
    headers: {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Bastion-Webhooks/1',
    },
    // A connection per attempt: a pooled socket would skip the pinned lookup.
    agent: false,
  };
  if (url.protocol === 'https:' && !isIP(options.host as string)) {
    options.servername = options.host as string;
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(options, (res) => {
      const statusCode = res.statusCode ?? 0;
      // The receiver's answer is not needed; reading it frees the socket.
      res.resume();
      res.on('end', () => {
        const ok = statusCode >= 200 && statusCode < 300;
        finish({ ok, statusCode, error: ok ? null : `HTTP ${statusCode}` });
      });
      res.on('error', (error) => finish({ ok: false, statusCode, error: error.message }));
    });
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: 'Timed out after 10 s' });
      req.destroy();
    }, DELIVERY_TIMEOUT_MS);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, statusCode: null, error: error.code ?? error.message }),
    );
    req.end(body);
  });
}
