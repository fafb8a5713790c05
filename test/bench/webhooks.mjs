// `npm run bench:webhooks`: what event subscriptions (outbound webhooks) cost the create and how
// fast deliveries arrive, and what a receiver that is down costs the server. Bastion runs as in
// `npm run bench` (production build and settings); the receiver is an HTTPS server on a thread of
// this process. See docs/performance.md, "Event subscriptions".
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { login, productionSecrets, startBastion } from './lib/bastion.mjs';
import { CpuMeter, cpuBetween } from './lib/cpu.mjs';
import { dropDatabase, recreateDatabase, vacuumAnalyze } from './lib/databases.mjs';
import { measure, warmUp } from './lib/load.mjs';
import { freePort } from './lib/processes.mjs';
import { makeCertificate, startReceiver } from './lib/receiver.mjs';
import { writeResults } from './lib/report.mjs';
import { probe, scenarios } from './lib/scenarios.mjs';
import {
  CUSTOMER_PASSWORD,
  customerEmail,
  customerOrders,
  seedBastion,
} from './lib/seed-bastion.mjs';
import { databaseUrl, loadSettings, RESULTS_DIR, runBench } from './lib/settings.mjs';
import { deliveryStats, ms, retrySchedule, table } from './lib/webhook-stats.mjs';

const READER = 1; // the customer who creates
/** How long the server's idle background work (sealer, dispatcher, worker polls) is measured. */
const IDLE_SECONDS = 10;
/** How long to wait for every delivery of a run to arrive before reporting what is missing. */
const DRAIN_TIMEOUT_MS = 240_000;
/**
 * How often the deliveries table is vacuumed and analyzed while deliveries run. A stand-in for
 * autovacuum, which a CI-configured PostgreSQL may have off: on statistics of an empty table the
 * claim's plan reads every pending delivery (see docs/performance.md).
 */
const VACUUM_EVERY_MS = 15_000;

const log = (line) => process.stdout.write(`${line}\n`);
const envNumber = (name, fallback) => Number(process.env[name]) || fallback;
/** A load's figures without its closing CPU snapshot (kept only to measure what follows). */
const saved = ({ ended, ...run }) => run;
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Bastion's admin API for endpoints; `db` to see the worker's leases. */
function endpointsApi(baseUrl, token, db) {
  const call = async (method, path, body, headers = {}) => {
    const response = await fetch(`${baseUrl}/v1/webhook-endpoints${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) {
      throw new Error(
        `${method} ${path || '/'} answered ${response.status}: ${await response.text()}`,
      );
    }
    return response.status === 204 ? null : response.json();
  };
  return {
    subscribe: (url) => call('POST', '', { url, events: ['*'], description: 'bench' }),
    /**
     * Disables the endpoint and waits for its attempts in flight to end, so that none spills into
     * the next phase's figures, then deletes it with its deliveries.
     */
    async remove(endpoint) {
      await call(
        'PATCH',
        `/${endpoint.id}`,
        { status: 'disabled' },
        { 'if-match': `"${endpoint.version}"` },
      );
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM webhook_deliveries
            WHERE endpoint_id = $1 AND locked_until > now()`,
          [endpoint.id],
        );
        if (rows[0].n === 0) break;
        await sleep(200);
      }
      await call('DELETE', `/${endpoint.id}`);
    },
  };
}

/** Waits until every committed change is sealed and dispatched and `endpointIds` owe nothing. */
async function waitForDelivered(db, endpointIds) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM audit_events WHERE seq IS NULL)::int AS unsealed,
              (SELECT seq FROM webhook_dispatch_cursor) =
                (SELECT coalesce(max(seq), 0) FROM audit_events) AS dispatched,
              (SELECT count(*) FROM webhook_deliveries
                WHERE endpoint_id = ANY ($1::uuid[]) AND status = 'pending')::int AS pending`,
      [endpointIds],
    );
    if (rows[0].unsealed === 0 && rows[0].dispatched && rows[0].pending === 0) return true;
    await sleep(200);
  }
  return false;
}

/** The orders created while the endpoint existed, and when each event was dispatched to it. */
async function whatWasOwed(db, endpointId) {
  const orders = await db.query(
    `SELECT o.id FROM orders o, webhook_endpoints w WHERE w.id = $1 AND o.created_at >= w.created_at`,
    [endpointId],
  );
  const deliveries = await db.query(
    `SELECT event_id, (extract(epoch FROM created_at) * 1000)::float8 AS at
       FROM webhook_deliveries WHERE endpoint_id = $1`,
    [endpointId],
  );
  return {
    expected: orders.rows.map((row) => row.id),
    dispatched: new Map(deliveries.rows.map((row) => [row.event_id, row.at])),
  };
}

/**
 * Waits for `endpointId`'s deliveries after a load and sums them up, with the CPU and transactions
 * per delivery made after the load (above the idle passes; while another endpoint's retries run
 * too, those count as well).
 */
async function deliveredTo({ db, receiver, path, endpointId, run, snapshot, idle }) {
  const complete = await waitForDelivered(db, [endpointId]);
  const cpu = cpuBetween(run.ended, await snapshot());
  const { accepted } = await receiver.take(path);
  const { expected, dispatched } = await whatWasOwed(db, endpointId);
  const stats = deliveryStats(accepted, expected, dispatched, run.loadEndedAt);
  // What the idle passes would have used in the same time is not the deliveries' doing.
  const per = (value, idleValue, scale) =>
    ((value - (idleValue / idle.wallSeconds) * cpu.wallSeconds) * scale) /
    Math.max(1, stats.owedAtLoadEnd);
  return {
    complete,
    ...stats,
    afterLoad: {
      cpu,
      serverCpuMsPerDelivery: round(per(cpu.server, idle.server, 1000), 3),
      postgresCpuMsPerDelivery: round(
        per(cpu.postgresThisDatabase, idle.postgresThisDatabase, 1000),
        3,
      ),
      transactionsPerDelivery: round(per(cpu.transactions, idle.transactions, 1), 2),
    },
  };
}

/** The deliveries table after a run: rows, bytes, and the given endpoint's rows and attempts. */
async function deliveryTable(db, endpointId) {
  const { rows } = await db.query(
    `SELECT pg_total_relation_size('webhook_deliveries')::float8 AS bytes,
            (SELECT count(*) FROM webhook_deliveries)::int AS rows,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now())::int AS due,
            coalesce(sum(attempts), 0)::int AS attempts,
            coalesce(max(attempts), 0)::int AS "maxAttempts",
            (SELECT avg(pg_column_size(d.*)) FROM webhook_deliveries d)::int AS "rowBytes",
            (SELECT json_object_agg(coalesce(last_error, 'none'), n) FROM (
               SELECT last_error, count(*)::int AS n FROM webhook_deliveries
                WHERE endpoint_id = $1 GROUP BY last_error) e) AS "lastErrors"
       FROM webhook_deliveries WHERE endpoint_id = $1`,
    [endpointId],
  );
  const t = rows[0];
  return { ...t, bytesPer1000Rows: Math.round((t.bytes / Math.max(1, t.rows)) * 1000) };
}

/** `VACUUM ANALYZE webhook_deliveries` every VACUUM_EVERY_MS on its own connection until stopped. */
function vacuumEvery(dbUrl) {
  const client = new pg.Client({ connectionString: dbUrl });
  const connected = client.connect();
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => client.query('VACUUM ANALYZE webhook_deliveries'));
  }, VACUUM_EVERY_MS);
  return async () => {
    clearInterval(timer);
    await connected;
    await running;
    await client.end();
  };
}

/** Empties the deliveries table's files, so that the next run's bytes are its own. */
async function resetDeliveries(db) {
  await db.query('VACUUM FULL webhook_deliveries');
  await db.query('VACUUM ANALYZE');
}

async function main() {
  const settings = loadSettings(process.env, { baseline: false, database: 'bastion_webhooks' });
  const downSeconds = envNumber('BENCH_DOWN_SECONDS', 10);
  const observeSeconds = envNumber('BENCH_OBSERVE_SECONDS', 30);
  const lightRate = envNumber('BENCH_LIGHT_RATE', 100);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const workDir = mkdtempSync(join(tmpdir(), 'bastion-bench-webhooks-'));
  log(`Bastion webhook benchmark ${stamp} (logs in ${workDir})`);
  log(
    `  ${settings.connections} connections, create ${settings.warmupSeconds} s warm-up + ` +
      `${settings.durationSeconds} s measured × ${settings.rounds} rounds; receiver down ` +
      `${downSeconds} s of load + ${observeSeconds} s observed; load average ` +
      `${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')} on ${cpus().length} cores`,
  );

  const certificate = makeCertificate(workDir);
  const receiver = await startReceiver(certificate);
  const dbUrl = databaseUrl(settings.server, settings.bastionDatabase);
  await recreateDatabase(settings.adminDatabaseUrl, settings.bastionDatabase);
  const monitor = new pg.Client({ connectionString: settings.adminDatabaseUrl });
  await monitor.connect();
  const db = new pg.Client({ connectionString: dbUrl });
  let bastion = null;
  let stopVacuuming = async () => undefined;
  try {
    const secrets = productionSecrets();
    log(`Starting Bastion (NODE_ENV=production, 1 process) on ${settings.bastionDatabase}…`);
    bastion = await startBastion({
      databaseUrl: dbUrl,
      redisUrl: settings.redisUrl,
      runId: stamp,
      workDir,
      secrets,
      profile: false,
      workers: 1,
      // Deliveries go to the receiver on 127.0.0.1, over HTTPS with the run's own certificate.
      extraEnv: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', NODE_EXTRA_CA_CERTS: certificate.cert },
    });
    await seedBastion(dbUrl, settings);
    await db.connect();
    const reader = await customerOrders(dbUrl, READER);
    const ctx = {
      bastion: {
        customer: await login(bastion.baseUrl, customerEmail(READER), CUSTOMER_PASSWORD),
        orderIds: reader.orderIds,
      },
    };
    const api = endpointsApi(
      bastion.baseUrl,
      await login(bastion.baseUrl, secrets.ADMIN_EMAIL, secrets.ADMIN_PASSWORD),
      db,
    );
    const create = scenarios(ctx)
      .find((s) => s.name === 'create')
      .bastion();
    const meter = new CpuMeter(monitor);
    const snapshot = () => meter.snapshot(bastion.pid, settings.bastionDatabase);

    // The background passes cost something with no load at all; retries are measured above it.
    await sleep(2000);
    const idleStart = await snapshot();
    await sleep(IDLE_SECONDS * 1000);
    const idle = cpuBetween(idleStart, await snapshot());
    log(
      `Idle: server ${idle.server} s, PostgreSQL ${idle.postgresThisDatabase} s, ` +
        `${idle.transactions} transactions in ${idle.wallSeconds} s`,
    );

    stopVacuuming = vacuumEvery(dbUrl);

    /** One create load; `warm`: with the bench's warm-up first; `rate`: fixed, in req/s. */
    async function load(durationSeconds, warm, rate) {
      await probe(bastion.baseUrl, create, 201);
      if (warm) await warmUp(bastion.baseUrl, create, settings);
      const before = await snapshot();
      const result = await measure(bastion.baseUrl, create, { ...settings, durationSeconds }, rate);
      const loadEndedAt = Date.now();
      const ended = await snapshot();
      return { result, cpu: cpuBetween(before, ended), loadEndedAt, ended };
    }

    // 1. Create without and with one endpoint subscribed to everything, alternating who goes first.
    const throughput = [];
    for (let r = 1; r <= settings.rounds; r += 1) {
      for (const subscribed of r % 2 === 1 ? [false, true] : [true, false]) {
        const path = `/all-${r}`;
        const endpoint = subscribed ? await api.subscribe(receiver.url(path)) : null;
        if (endpoint) await receiver.answer(path, 200);
        const run = await load(settings.durationSeconds, true);
        const delivery = endpoint
          ? await deliveredTo({ db, receiver, path, endpointId: endpoint.id, run, snapshot, idle })
          : null;
        const deliveries = endpoint ? await deliveryTable(db, endpoint.id) : null;
        if (endpoint) await api.remove(endpoint);
        const entry = { round: r, subscribed, ...saved(run), delivery, table: deliveries };
        throughput.push(entry);
        log(
          `  round ${r} create ${subscribed ? 'with 1 endpoint' : 'no endpoint   '} ` +
            `${run.result.requestsPerSecond} req/s  p99 ${run.result.p99} ms  ` +
            `non-2xx ${run.result.non2xx + run.result.errors + run.result.timeouts}  ` +
            `CPU s: server ${run.cpu.server}, pg ${run.cpu.postgresThisDatabase}, ` +
            `other ${run.cpu.other}` +
            (delivery
              ? `  delivered ${delivery.distinct}/${delivery.expected} (missing ` +
                `${delivery.missing}, duplicates ${delivery.duplicates}), latency ms ` +
                `${ms(delivery.latencyMs)}, drain ${delivery.drainMs} ms`
              : ''),
        );
        await resetDeliveries(db);
        await vacuumAnalyze(dbUrl);
        await sleep(1000);
      }
    }

    // 2. The same endpoint at a light fixed load: what the background passes alone add.
    await receiver.answer('/light', 200);
    const lightEndpoint = await api.subscribe(receiver.url('/light'));
    const lightRun = await load(settings.durationSeconds, false, lightRate);
    const light = {
      ...saved(lightRun),
      rate: lightRate,
      delivery: await deliveredTo({
        db,
        receiver,
        path: '/light',
        endpointId: lightEndpoint.id,
        run: lightRun,
        snapshot,
        idle,
      }),
    };
    await api.remove(lightEndpoint);
    log(
      `  create at ${lightRate} req/s with 1 endpoint: ${lightRun.result.requestsPerSecond} req/s, ` +
        `delivered ${light.delivery.distinct}/${light.delivery.expected}, latency ms ` +
        `${ms(light.delivery.latencyMs)} (commit → dispatched ${ms(light.delivery.commitToDispatchMs)})`,
    );
    await resetDeliveries(db);

    // 3. A healthy endpoint beside a second one: healthy too (control), answering 503, or refusing
    // connections; load for BENCH_DOWN_SECONDS, then the retries alone for BENCH_OBSERVE_SECONDS.
    const down = [];
    for (const second of ['healthy', '503', 'refused']) {
      const healthyPath = `/healthy-beside-${second}`;
      const secondPath = `/second-${second}`;
      await receiver.answer(healthyPath, 200);
      if (second !== 'refused') await receiver.answer(secondPath, second === '503' ? 503 : 200);
      const secondUrl =
        second === 'refused'
          ? `https://127.0.0.1:${await freePort()}/nobody-listens`
          : receiver.url(secondPath);
      const healthy = await api.subscribe(receiver.url(healthyPath));
      const other = await api.subscribe(secondUrl);
      const run = await load(downSeconds, false);
      const delivery = await deliveredTo({
        db,
        receiver,
        path: healthyPath,
        endpointId: healthy.id,
        run,
        snapshot,
        idle,
      });
      let retries = null;
      if (second !== 'healthy') {
        // Only the second endpoint's retries (and the idle passes) run now.
        const attemptsBefore = (await deliveryTable(db, other.id)).attempts;
        const before = await snapshot();
        await sleep(observeSeconds * 1000);
        const cpu = cpuBetween(before, await snapshot());
        const after = await deliveryTable(db, other.id);
        const attempts = after.attempts - attemptsBefore;
        const perSecond = (value) => value / idle.wallSeconds;
        const beyondIdle = (value, idleValue) => value - perSecond(idleValue) * cpu.wallSeconds;
        retries = {
          attempts,
          attemptsPerSecond: round(attempts / cpu.wallSeconds, 1),
          serverCpuMsPerAttempt: round((beyondIdle(cpu.server, idle.server) * 1000) / attempts, 3),
          postgresCpuMsPerAttempt: round(
            (beyondIdle(cpu.postgresThisDatabase, idle.postgresThisDatabase) * 1000) / attempts,
            3,
          ),
          transactionsPerAttempt: round(
            beyondIdle(cpu.transactions, idle.transactions) / attempts,
            2,
          ),
          cpu,
          dueAtEnd: after.due,
        };
      }
      const tableAfter = await deliveryTable(db, other.id);
      await api.remove(healthy);
      await api.remove(other);
      const entry = { second, ...saved(run), delivery, retries, table: tableAfter };
      down.push(entry);
      log(
        `  second endpoint ${second.padEnd(7)} create ${run.result.requestsPerSecond} req/s; ` +
          `healthy endpoint: delivered ${delivery.distinct}/${delivery.expected}, latency ms ` +
          `${ms(delivery.latencyMs)}, drain ${delivery.drainMs} ms` +
          (retries
            ? `; second: ${tableAfter.pending} pending, ${retries.attempts} attempts in ` +
              `${retries.cpu.wallSeconds} s (${retries.attemptsPerSecond}/s, ${retries.dueAtEnd} ` +
              `due at the end), per attempt: server ${retries.serverCpuMsPerAttempt} ms, ` +
              `pg ${retries.postgresCpuMsPerAttempt} ms, ${retries.transactionsPerAttempt} xacts`
            : '') +
          `; table ${tableAfter.rows} rows, ${tableAfter.bytesPer1000Rows} bytes/1,000 rows`,
      );
      await resetDeliveries(db);
      await sleep(1000);
    }

    const report = summarise(throughput, light, down);
    log(`\n${report.text}\n`);
    const file = writeResults(RESULTS_DIR, `${stamp}-webhooks`, {
      startedAt: stamp,
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      settings: {
        connections: settings.connections,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        downSeconds,
        observeSeconds,
        lightRate,
      },
      idle,
      summary: report.summary,
      throughput,
      light,
      down,
    });
    log(`Results: ${file}`);
  } finally {
    await stopVacuuming();
    if (bastion) await bastion.stop();
    await receiver.stop();
    await db.end().catch(() => undefined);
    await monitor.end();
    if (process.env.BENCH_KEEP_DATABASES !== '1') {
      await dropDatabase(settings.adminDatabaseUrl, settings.bastionDatabase);
    }
  }
}

/** The tables printed at the end, and their figures for the JSON. */
function summarise(throughput, light, down) {
  const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const rate = (subscribed) =>
    Math.round(
      mean(
        throughput
          .filter((t) => t.subscribed === subscribed)
          .map((t) => t.result.requestsPerSecond),
      ),
    );
  const none = rate(false);
  const withOne = rate(true);
  const perRequest = (t, value) => round((value * 1000) / t.result.requestsTotal, 3);
  const createRows = throughput.map((t) => [
    t.round,
    t.subscribed ? '1 endpoint (`*`)' : 'none',
    t.result.requestsPerSecond,
    t.result.p99,
    perRequest(t, t.cpu.server),
    perRequest(t, t.cpu.postgresThisDatabase),
    round(t.cpu.transactions / t.result.requestsTotal, 1),
    t.delivery ? `${t.delivery.distinct} / ${t.delivery.expected} / ${t.delivery.duplicates}` : '',
    t.delivery ? ms(t.delivery.latencyMs) : '',
    t.delivery ? ms(t.delivery.commitToDispatchMs) : '',
    t.delivery ? ms(t.delivery.dispatchToArrivalMs) : '',
    t.delivery ? t.delivery.drainMs : '',
    t.delivery ? `${t.delivery.owedAtLoadEnd} / ${t.delivery.drainPerSecond}` : '',
    t.delivery
      ? `${t.delivery.afterLoad.serverCpuMsPerDelivery} / ${t.delivery.afterLoad.postgresCpuMsPerDelivery} / ${t.delivery.afterLoad.transactionsPerDelivery}`
      : '',
  ]);
  const ratio = round(withOne / none);
  const failing = down.filter((d) => d.retries);
  const rateDown = Math.round(mean(failing.map((d) => d.result.requestsPerSecond)));
  const schedule = retrySchedule(rateDown);
  const downRows = down.map((d) => [
    d.second,
    d.result.requestsPerSecond,
    `${ms(d.delivery.latencyMs)}`,
    `${d.delivery.drainMs} (${d.delivery.drainPerSecond}/s)`,
    d.retries ? d.table.pending : '',
    d.retries ? `${d.retries.attemptsPerSecond} (${d.retries.dueAtEnd} due at the end)` : '',
    d.retries ? d.retries.serverCpuMsPerAttempt : '',
    d.retries ? d.retries.postgresCpuMsPerAttempt : '',
    d.retries ? d.retries.transactionsPerAttempt : '',
    `${d.table.bytesPer1000Rows} (rows ${d.table.rowBytes} B each)`,
  ]);
  const text = [
    `Create with one endpoint subscribed to \`*\` ÷ without: ${ratio} (${withOne} / ${none} req/s)`,
    '',
    table(
      [
        'round',
        'endpoints',
        'create req/s',
        'p99 ms',
        'server CPU ms/req',
        'PG CPU ms/req',
        'PG xacts/req',
        'delivered / created / duplicates',
        'commit → arrival ms p50 / p99 / max',
        'commit → dispatched',
        'dispatched → arrival',
        'drain ms',
        'owed at load end / delivered per s after',
        'after the load, per delivery: server CPU ms / PG CPU ms / PG xacts',
      ],
      createRows,
    ),
    '',
    `At a fixed ${light.rate} creates/s (${light.result.requestsPerSecond} req/s answered): ` +
      `${light.delivery.distinct} / ${light.delivery.expected} delivered, commit → arrival ms ` +
      `p50 / p99 / max ${ms(light.delivery.latencyMs)} (commit → dispatched ` +
      `${ms(light.delivery.commitToDispatchMs)}, dispatched → arrival ` +
      `${ms(light.delivery.dispatchToArrivalMs)}).`,
    '',
    'A healthy endpoint beside a second one (both `*`):',
    '',
    table(
      [
        'second endpoint',
        'create req/s',
        'healthy: commit → arrival ms p50 / p99 / max',
        'healthy drain ms (delivered per s after the load)',
        'second: pending',
        'second: attempts/s after the load',
        'server CPU ms/attempt',
        'PG CPU ms/attempt',
        'PG xacts/attempt',
        'table bytes / 1,000 rows (live row size)',
      ],
      downRows,
    ),
    '',
    `Retry schedule (base ${schedule.baseMs} ms): attempts in the first hour of an event ` +
      `${schedule.attemptsInFirstHour.earliest} (earliest jitter) / ${schedule.attemptsInFirstHour.mean} ` +
      `(mean) / ${schedule.attemptsInFirstHour.latest} (latest); ${schedule.attemptsInRetryWindow} ` +
      `over the ${schedule.retryWindowHours} h window. An hour down at ${rateDown} creates/s asks ` +
      `for ${schedule.attemptsAskedForByOneHour.toLocaleString('en-US')} attempts ` +
      `(${schedule.attemptsPerEventCreatedDuringTheHour} per event).`,
  ].join('\n');
  return { text, summary: { none, withOne, ratio, rateDown, schedule } };
}

runBench(main);
