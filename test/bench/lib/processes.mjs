// Child processes of the benchmark: the two servers, each logging to a file of its own.
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `node <args>` with exactly `env` (nothing inherited, so a stray variable or .env cannot
 * change what is measured) and its output in `logFile`.
 */
export function startNode({ name, args, env, cwd, logFile, ipc = false }) {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal }));
  });
  return {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    logTail: () => tail(logFile),
    async stop(timeoutMs = 15000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const done = await Promise.race([exited, sleep(timeoutMs).then(() => null)]);
        if (!done) child.kill('SIGKILL');
      }
      await exited;
      log.end();
    },
  };
}

/** Polls `url` until it answers 200; fails early, with the log, if the process dies first. */
export async function waitUntilReady(processHandle, url, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!processHandle.running()) {
      throw new Error(
        `${processHandle.name} exited before it was ready. Its log (${processHandle.logFile}):\n` +
          processHandle.logTail(),
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(250);
  }
  throw new Error(
    `${processHandle.name} was not ready at ${url} within ${timeoutMs / 1000} s (${last}). ` +
      `Its log (${processHandle.logFile}):\n${processHandle.logTail()}`,
  );
}
