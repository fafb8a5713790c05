import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { ProblemException } from '@bastion/common';

/** How long every open connection must have been waiting on a held request before closing. */
const QUIET_MS = 100;
/** Closing never waits longer than this for the quiet moment, whatever clients do. */
const HOLD_AT_MOST_MS = 1000;
const POLL_MS = 10;

export class ShuttingDownProblem extends ProblemException {
  constructor() {
    super({
      status: HttpStatus.SERVICE_UNAVAILABLE,
      slug: 'shutting-down',
      title: 'Shutting down',
      detail: 'This instance is stopping; send requests to another one.',
    });
  }
}

/**
 * The last moments of an instance that was told to stop. While it drains it keeps serving, but
 * readiness answers 503, so load balancers take it out of rotation, and every answer closes its
 * connection, so kept-alive clients reconnect (to an instance that stays) instead of sending on
 * a socket the server is about to close under them. Once draining, an instance never serves
 * normally again: only closing follows.
 */
@Injectable()
export class ShutdownDrain {
  private started = false;
  private cutShort: () => void = () => undefined;
  private server?: Server;
  private openConnections = 0;
  private heldRequests = 0;
  private holding: Promise<void> | null = null;

  get draining(): boolean {
    return this.started;
  }

  /** Answers `Connection: close` while draining, and holds requests while the listener closes. */
  install(fastify: FastifyInstance): void {
    this.server = fastify.server;
    fastify.server.on('connection', (socket: NodeJS.EventEmitter) => {
      this.openConnections += 1;
      socket.once('close', () => (this.openConnections -= 1));
    });
    fastify.addHook('onRequest', (_request, reply, done) => {
      if (!this.started) return done();
      void reply.header('connection', 'close');
      if (!this.holding) return done();
      this.heldRequests += 1;
      void this.holding.then(() => done(new ShuttingDownProblem()));
    });
  }

  /** Starts draining; resolves after `ms`, or at once when `end()` is called. */
  run(ms: number): Promise<void> {
    this.started = true;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.cutShort = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  end(): void {
    this.cutShort();
  }

  /**
   * Stops accepting connections without resetting one a client has just opened: closing a
   * listening socket resets the connections still queued in the kernel, and Node drops accepted
   * connections whose request it has not read yet. So new requests are held, unanswered, until
   * every open connection has carried one for a moment (a client that keeps sending now waits
   * instead of connecting), for at most HOLD_AT_MOST_MS. Then the listener closes and the held
   * requests are answered 503: their clients' next connection is refused, cleanly. Requests
   * already running are not held; closing the app lets them finish.
   */
  async stopListening(): Promise<void> {
    let release: () => void = () => undefined;
    this.holding = new Promise((resolve) => (release = resolve));
    const deadline = Date.now() + HOLD_AT_MOST_MS;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      if (this.openConnections !== this.heldRequests) quietSince = Date.now();
      else if (Date.now() - quietSince >= QUIET_MS) break;
      await sleep(POLL_MS);
    }
    this.server?.close();
    release();
  }
}
