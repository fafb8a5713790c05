import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The console's own policy, stricter than the API's (which lets Swagger UI inline styles): its
 * script and stylesheet come from this origin, it talks to this origin only, and no page may
 * frame it.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  body: Buffer;
  gzipped: Buffer;
  contentType: string;
  etag: string;
}

/**
 * `npm run build` writes the console to dist/console. Compiled, this file runs from
 * dist/src/bootstrap; from source (the tests), from src/bootstrap.
 */
function consoleDirectory(): string | null {
  const up = resolve(__dirname, '..', '..');
  const dir = join(basename(up) === 'dist' ? up : join(up, 'dist'), 'console');
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, {
      body,
      gzipped: gzipSync(body, { level: 9 }),
      contentType,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    });
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
  void reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('content-type', asset.contentType)
    .header('cache-control', cache)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
    return reply.header('content-encoding', 'gzip').send(asset.gzipped);
  }
  return reply.send(asset.body);
}

/**
 * Serves the ops console at /console: its assets (named by their content, so cached for good) and,
 * for every other path under it, the page itself, whose script routes on the URL. The files are
 * small and fixed at build time: read once, kept in memory with their gzip.
 */
export function serveConsole(fastify: FastifyInstance): void {
  const dir = consoleDirectory();
  const assets = dir ? loadAssets(dir) : new Map<string, Asset>();
  const page = assets.get('index.html');
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!page) {
      return reply
        .code(404)
        .header('content-type', 'text/plain; charset=utf-8')
        .send('The ops console is not built: run `npm run build`.\n');
    }
    const name = (request.params as { '*'?: string })['*'] ?? '';
    const asset = name === 'index.html' ? undefined : assets.get(name);
    if (asset) return send(request, reply, asset, 'public, max-age=31536000, immutable');
    // A file of an older build is gone; answering it with the page would only confuse the browser.
    if (extname(name)) return reply.code(404).send();
    return send(request, reply, page, 'no-cache');
  };
  fastify.get('/console', handler);
  fastify.get('/console/*', handler);
}
