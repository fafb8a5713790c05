// `npm run bench`: Bastion (production build) side by side with the raw Fastify + pg baseline.
// See the README's Performance section; settings come from the environment (lib/settings.mjs).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  baselineOrderIds,
  baselineToken,
  prepareBaseline,
  seedBaseline,
  startBaseline,
} from './lib/baseline.mjs';
import { login, productionSecrets, profilerCommand, startBastion } from './lib/bastion.mjs';
import { CpuMeter, cpuBetween } from './lib/cpu.mjs';
import { dropDatabase, recreateDatabase, vacuumAnalyze } from './lib/databases.mjs';
import { measure, warmUp } from './lib/load.mjs';
import { summariseProfile } from './lib/profile.mjs';
import {
  cpuTable,
  equalLoadTable,
  resultsTable,
  summarise,
  summariseEqualLoad,
  writeResults,
} from './lib/report.mjs';
import { probe, scenarios } from './lib/scenarios.mjs';
import {
  CUSTOMER_PASSWORD,
  customerEmail,
  customerOrders,
  seedBastion,
  seedPendingOrders,
  unsealedAuditEvents,
} from './lib/seed-bastion.mjs';
import { databaseUrl, loadSettings, REPO_ROOT, RESULTS_DIR, runBench } from './lib/settings.mjs';

const READER = 1; // the customer who reads, lists and creates
const PAYER = 2; // the customer who pays
const BASELINE_USER = 17; // the baseline's user (ids 1..1000 own orders)
/** Headroom for the payments scenario: pending orders per second of load. */
const PAYMENTS_PER_SECOND = 1500;
/** The fixed load at which both servers are measured again: half of Bastion's measured maximum. */
const EQUAL_LOAD_SHARE = 0.5;

const log = (line) => process.stdout.write(`${line}\n`);

function gitDescribe() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'libs'], {
      cwd: REPO_ROOT,
    }).toString();
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return 'unknown';
  }
}

async function prepare(settings, stamp, workDir, started) {
  const bastionDbUrl = databaseUrl(settings.server, settings.bastionDatabase);
  const baselineDbUrl = databaseUrl(settings.server, settings.baselineDatabase);
  const baselineDir = await prepareBaseline(settings.baselineSource);
  await recreateDatabase(settings.adminDatabaseUrl, settings.bastionDatabase);
  await recreateDatabase(settings.adminDatabaseUrl, settings.baselineDatabase);

  const secrets = productionSecrets();
  log(
    `Starting Bastion (NODE_ENV=production, ${settings.workers} process(es)) on ${settings.bastionDatabase}…`,
  );
  const bastion = await startBastion({
    databaseUrl: bastionDbUrl,
    redisUrl: settings.redisUrl,
    runId: stamp,
    workDir,
    secrets,
    profile: settings.profile,
    workers: settings.workers,
  });
  started.push(bastion);
  const seeded = await seedBastion(bastionDbUrl, settings);
  log(
    `Seeded Bastion: ${settings.customers} customers, ${settings.orders} orders × ` +
      `${settings.itemsPerOrder} items in ${seeded.ms} ms`,
  );
  const reader = await customerOrders(bastionDbUrl, READER);
  const tokens = {
    customer: await login(bastion.baseUrl, customerEmail(READER), CUSTOMER_PASSWORD),
    payer: await login(bastion.baseUrl, customerEmail(PAYER), CUSTOMER_PASSWORD),
    admin: await login(bastion.baseUrl, secrets.ADMIN_EMAIL, secrets.ADMIN_PASSWORD),
  };

  const baselineSecret = randomBytes(32).toString('base64url');
  log(`Seeding the baseline on ${settings.baselineDatabase}…`);
  log(`  ${await seedBaseline(baselineDir, baselineDbUrl, baselineSecret, settings.orders)}`);
  const baseline = await startBaseline({
    dir: baselineDir,
    databaseUrl: baselineDbUrl,
    jwtSecret: baselineSecret,
    workDir,
    workers: settings.workers,
  });
  started.push(baseline);
  const ctx = {
    bastion: { ...tokens, orderIds: reader.orderIds, pendingOrder: null },
    baseline: {
      token: await baselineToken(baselineDir, baselineSecret, 'user', BASELINE_USER),
      orderIds: await baselineOrderIds(baselineDbUrl, BASELINE_USER),
    },
  };
  const servers = {
    bastion: { handle: bastion, database: settings.bastionDatabase, dbUrl: bastionDbUrl },
    baseline: { handle: baseline, database: settings.baselineDatabase, dbUrl: baselineDbUrl },
  };
  return { servers, ctx };
}

/** Pending orders for this pass of the payments scenario, handed out one per request. */
async function preparePayments(settings, ctx, dbUrl) {
  const count =
    Number(process.env.BENCH_PAYMENT_ORDERS) ||
    Math.ceil((settings.warmupSeconds + settings.durationSeconds) * PAYMENTS_PER_SECOND);
  const ids = await seedPendingOrders(dbUrl, PAYER, count);
  let next = 0;
  // Past the last one, orders repeat and answer 409: visible as non-2xx, never silently.
  ctx.bastion.pendingOrder = () => ids[next++ % ids.length];
}

/**
 * After a write scenario: lets Bastion's audit sealer finish the events it left, then vacuums and
 * analyzes, so the next scenario starts quiet and on fresh statistics (a server with autovacuum
 * off would otherwise plan the next reads on tables it believes empty).
 */
async function settle(serverName, dbUrl) {
  const deadline = Date.now() + 60000;
  if (serverName === 'bastion') {
    while (Date.now() < deadline && (await unsealedAuditEvents(dbUrl)) > 0) await sleep(500);
  }
  await vacuumAnalyze(dbUrl);
  await sleep(1000);
}

async function runOne({
  settings,
  scenario,
  serverName,
  server,
  ctx,
  meter,
  round,
  profileDir,
  rate,
}) {
  if (scenario.name === 'pay') await preparePayments(settings, ctx, server.dbUrl);
  const request = scenario[serverName]();
  const { baseUrl } = server.handle;
  await probe(baseUrl, request, scenario.expect);
  await warmUp(baseUrl, request, settings);
  const profiling = profileDir && serverName === 'bastion';
  if (profiling) await profilerCommand(server.handle, 'start');
  const before = await meter.snapshot(server.handle.pid, server.database);
  const result = await measure(baseUrl, request, settings, rate);
  const after = await meter.snapshot(server.handle.pid, server.database);
  let profile = null;
  if (profiling) {
    profile = join(profileDir, `${round}-${scenario.name}.cpuprofile`);
    await profilerCommand(server.handle, 'stop', profile);
  }
  const cpu = cpuBetween(before, after);
  log(
    `  ${rate ? `at ${rate} req/s` : `round ${round}`}  ${scenario.name.padEnd(6)} ${serverName.padEnd(8)} ` +
      `${String(result.requestsPerSecond).padStart(6)} req/s  p50 ${result.p50} ms  ` +
      `p99 ${result.p99} ms  non-2xx ${result.non2xx + result.errors + result.timeouts}  ` +
      `CPU s: server ${cpu.server}, pg ${cpu.postgresThisDatabase} (all ${cpu.postgres}), ` +
      `load ${cpu.loadGenerator}, other ${cpu.other}`,
  );
  if (scenario.expect === 201) await settle(serverName, server.dbUrl);
  else await sleep(1000);
  return {
    round,
    rate,
    scenario: scenario.name,
    server: serverName,
    label: request.label,
    result,
    cpu,
    profile,
  };
}

async function main() {
  const settings = loadSettings();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const workDir = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
  const profileDir = settings.profile ? join(RESULTS_DIR, `${stamp}-profiles`) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  log(`Bastion benchmark ${stamp} (logs in ${workDir})`);
  log(
    `  ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ` +
      `${settings.durationSeconds} s measured, ${settings.rounds} rounds; load average ` +
      `${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')} on ${cpus().length} cores`,
  );

  const monitor = new pg.Client({ connectionString: settings.adminDatabaseUrl });
  await monitor.connect();
  const started = [];
  try {
    const prepared = await prepare(settings, stamp, workDir, started);
    const { servers } = prepared;
    const meter = new CpuMeter(monitor);
    const list = scenarios(prepared.ctx).filter(
      (s) => !settings.only || settings.only.includes(s.name),
    );
    const measurements = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const scenario of list) {
        // Alternate who goes first, so a drift during the run does not favour one side.
        const order = round % 2 === 1 ? ['bastion', 'baseline'] : ['baseline', 'bastion'];
        for (const serverName of order.filter((name) => scenario[name])) {
          measurements.push(
            await runOne({
              settings,
              scenario,
              serverName,
              server: servers[serverName],
              ctx: prepared.ctx,
              meter,
              round,
              profileDir,
            }),
          );
        }
      }
    }

    const summary = summarise(list, measurements);
    // At saturation p99 follows throughput (Little's law); at one fixed rate both servers carry
    // the same load, so their latencies compare directly.
    const equalLoad = [];
    for (const entry of summary.filter((s) => s.baseline)) {
      const scenario = list.find((s) => s.name === entry.scenario);
      const rate = Math.max(1, Math.round(entry.bastion.requestsPerSecond * EQUAL_LOAD_SHARE));
      for (const serverName of ['bastion', 'baseline']) {
        equalLoad.push(
          await runOne({
            settings,
            scenario,
            serverName,
            server: servers[serverName],
            ctx: prepared.ctx,
            meter,
            round: 0,
            profileDir: null,
            rate,
          }),
        );
      }
    }
    const equalLoadSummary = summariseEqualLoad(equalLoad);
    log(`\n${resultsTable(summary)}\n`);
    log(`At equal load (${EQUAL_LOAD_SHARE * 100} % of Bastion's throughput):\n`);
    log(`${equalLoadTable(equalLoadSummary)}\n`);
    log(`CPU seconds per measured run (other = machine busy time not accounted to the above):\n`);
    log(`${cpuTable(measurements)}\n`);
    const { rows } = await monitor.query('SHOW server_version');
    const file = writeResults(RESULTS_DIR, stamp, {
      startedAt: stamp,
      commit: gitDescribe(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      postgres: rows[0].server_version,
      redis: Boolean(settings.redisUrl),
      settings: {
        connections: settings.connections,
        bastionWorkers: settings.workers,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        customers: settings.customers,
        orders: settings.orders,
        itemsPerOrder: settings.itemsPerOrder,
      },
      summary,
      equalLoad: equalLoadSummary,
      measurements: [...measurements, ...equalLoad],
    });
    log(`Results: ${file}`);
    if (profileDir) {
      for (const m of measurements.filter((entry) => entry.profile)) {
        log(`\nProfile ${m.profile}\n${summariseProfile(m.profile)}`);
      }
    }
  } finally {
    for (const server of started) await server.stop();
    await monitor.end();
    if (process.env.BENCH_KEEP_DATABASES !== '1') {
      await dropDatabase(settings.adminDatabaseUrl, settings.bastionDatabase);
      await dropDatabase(settings.adminDatabaseUrl, settings.baselineDatabase);
    }
  }
}

runBench(main);
