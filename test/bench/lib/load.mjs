// Load generation: autocannon as a library, a warm-up whose numbers are discarded, then the
// measured run.
import autocannon from 'autocannon';

function fire(options) {
  return new Promise((resolveRun, reject) => {
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolveRun(result),
    );
    // Stop cleanly on Ctrl-C instead of leaving sockets open.
    const stop = () => instance.stop();
    process.once('SIGINT', stop);
    instance.on('done', () => process.off('SIGINT', stop));
  });
}

/**
 * One request per scenario's `request(baseUrl)` description; see scenarios.mjs. With `rate`, the
 * connections together send that many requests per second (autocannon's `overallRate`) instead of
 * as many as the server answers.
 */
function cannonOptions(baseUrl, request, connections, duration, rate) {
  const { method, path, headers, body, setupRequest } = request;
  return {
    url: baseUrl,
    connections,
    duration,
    ...(rate ? { overallRate: rate } : {}),
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        ...(setupRequest ? { setupRequest } : {}),
      },
    ],
  };
}

export async function warmUp(baseUrl, request, { connections, warmupSeconds }) {
  await fire(cannonOptions(baseUrl, request, connections, warmupSeconds));
}

/** The measured run, reduced to what the report needs; `rate`: a fixed load, in requests/s. */
export async function measure(baseUrl, request, { connections, durationSeconds }, rate) {
  const result = await fire(cannonOptions(baseUrl, request, connections, durationSeconds, rate));
  return {
    requestsPerSecond: Math.round(result.requests.average),
    requestsTotal: result.requests.total,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
    ),
  };
}
