// The summary: per route and server over all rounds, Bastion ÷ baseline against the targets, and
// the CPU each party used, as Markdown tables (console and README) and as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_EQUAL_LOAD_P99_RATIO, MAX_P99_RATIO } from './scenarios.mjs';

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Mean over rounds of one scenario on one server. */
function aggregate(measurements) {
  const results = measurements.map((m) => m.result);
  const requests = results.reduce((sum, r) => sum + r.requestsTotal, 0);
  const serverCpu = measurements.reduce((sum, m) => sum + m.cpu.server, 0);
  const postgresCpu = measurements.reduce((sum, m) => sum + m.cpu.postgresThisDatabase, 0);
  const transactions = measurements.reduce((sum, m) => sum + m.cpu.transactions, 0);
  return {
    label: measurements[0].label,
    rounds: measurements.length,
    requestsPerSecond: Math.round(mean(results.map((r) => r.requestsPerSecond))),
    requestsPerSecondByRound: results.map((r) => r.requestsPerSecond),
    p50: round(mean(results.map((r) => r.p50)), 1),
    p99: round(mean(results.map((r) => r.p99)), 1),
    non2xx: results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
    serverCpuMsPerRequest: round((serverCpu * 1000) / Math.max(1, requests), 3),
    postgresCpuMsPerRequest: round((postgresCpu * 1000) / Math.max(1, requests), 3),
    transactionsPerRequest: round(transactions / Math.max(1, requests), 1),
  };
}

export function summarise(scenarioList, measurements) {
  return scenarioList
    .map((scenario) => {
      const of = (server) =>
        measurements.filter((m) => m.scenario === scenario.name && m.server === server);
      const bastionRuns = of('bastion');
      if (bastionRuns.length === 0) return null;
      const bastion = aggregate(bastionRuns);
      const baselineRuns = of('baseline');
      const baseline = baselineRuns.length > 0 ? aggregate(baselineRuns) : null;
      const comparison = baseline && {
        throughputRatio: round(bastion.requestsPerSecond / baseline.requestsPerSecond),
        minThroughputRatio: scenario.minRatio,
        throughputMet: bastion.requestsPerSecond / baseline.requestsPerSecond >= scenario.minRatio,
        p99Ratio: round(bastion.p99 / baseline.p99),
        maxP99Ratio: MAX_P99_RATIO,
        p99Met: bastion.p99 / baseline.p99 <= MAX_P99_RATIO,
      };
      return { scenario: scenario.name, title: scenario.title, bastion, baseline, comparison };
    })
    .filter(Boolean);
}

/** One scenario at one fixed rate on both servers: latencies side by side. */
export function summariseEqualLoad(measurements) {
  const scenarios = [...new Set(measurements.map((m) => m.scenario))];
  return scenarios.map((name) => {
    const of = (server) => measurements.find((m) => m.scenario === name && m.server === server);
    const bastion = of('bastion');
    const baseline = of('baseline');
    const latency = (m) => ({
      requestsPerSecond: m.result.requestsPerSecond,
      p50: m.result.p50,
      p99: m.result.p99,
      non2xx: m.result.non2xx + m.result.errors + m.result.timeouts,
    });
    return {
      scenario: name,
      label: bastion.label,
      rate: bastion.rate,
      bastion: latency(bastion),
      baseline: latency(baseline),
      p99Ratio: round(bastion.result.p99 / Math.max(1, baseline.result.p99)),
      maxP99Ratio: MAX_EQUAL_LOAD_P99_RATIO,
    };
  });
}

export function equalLoadTable(entries) {
  return table(
    [
      'route',
      'rate req/s',
      'Bastion req/s, p50, p99 ms',
      'baseline req/s, p50, p99 ms',
      'p99 ratio (target)',
    ],
    entries.map((e) => [
      e.label,
      e.rate,
      `${e.bastion.requestsPerSecond}, ${e.bastion.p50}, ${e.bastion.p99}`,
      `${e.baseline.requestsPerSecond}, ${e.baseline.p50}, ${e.baseline.p99}`,
      `${e.p99Ratio} (≤ ${e.maxP99Ratio}) ${verdict(e.p99Ratio <= e.maxP99Ratio)}`,
    ]),
  );
}

const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

const verdict = (met) => (met ? 'met' : '**missed**');

export function resultsTable(summary) {
  const rows = [];
  for (const entry of summary) {
    const line = (server, s, ratio, p99) => [
      s.label,
      server,
      `${s.requestsPerSecond.toLocaleString('en-US')} (${s.requestsPerSecondByRound.join(', ')})`,
      s.p50,
      s.p99,
      s.non2xx,
      s.serverCpuMsPerRequest,
      s.postgresCpuMsPerRequest,
      s.transactionsPerRequest,
      ratio,
      p99,
    ];
    const c = entry.comparison;
    rows.push(
      line(
        'Bastion',
        entry.bastion,
        c ? `${c.throughputRatio} (≥ ${c.minThroughputRatio}: ${verdict(c.throughputMet)})` : '',
        c ? `${c.p99Ratio} (≤ ${c.maxP99Ratio}: ${verdict(c.p99Met)})` : '',
      ),
    );
    if (entry.baseline) rows.push(line('baseline', entry.baseline, '', ''));
  }
  return table(
    [
      'route',
      'server',
      'req/s (per round)',
      'p50 ms',
      'p99 ms',
      'non-2xx/errors',
      'server CPU ms/req',
      'PG CPU ms/req',
      'PG xacts/req',
      'Bastion ÷ baseline req/s',
      'p99 ratio',
    ],
    rows,
  );
}

export function cpuTable(measurements) {
  return table(
    [
      'round',
      'scenario',
      'server',
      'wall s',
      'server CPU s',
      'PostgreSQL (this db) s',
      'PostgreSQL (all) s',
      'Redis s',
      'load generator s',
      'other s',
      'machine busy / capacity s',
    ],
    measurements.map((m) => [
      m.round,
      m.scenario,
      m.server,
      m.cpu.wallSeconds,
      m.cpu.server,
      m.cpu.postgresThisDatabase,
      m.cpu.postgres,
      m.cpu.redis,
      m.cpu.loadGenerator,
      m.cpu.other,
      `${m.cpu.machineBusy} / ${m.cpu.machineCapacity}`,
    ]),
  );
}

export function writeResults(dir, stamp, document) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
