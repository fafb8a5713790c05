// CPU time per process group from /proc (Linux), to see where the machine's time went during a
// scenario and whether something else (another test suite, autovacuum) took part of it.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * comm and utime+stime (ticks) of one process, or null once it is gone. Not cutime/cstime: when
 * the postmaster reaps a backend, that backend's whole life would land in the window.
 */
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After comm: state is field 3, so utime (14) and stime (15) are at indexes 11 and 12.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { comm, ticks };
  } catch {
    return null;
  }
}

/** A process and its children (a cluster's workers), as pid → ticks. */
function processTreeTicks(rootPid) {
  const tree = {};
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone between readdir and read
    }
  }
  const wanted = new Set([rootPid]);
  for (const [pid, parent] of parents) if (parent === rootPid) wanted.add(pid);
  for (const pid of wanted) tree[pid] = processTicks(pid)?.ticks ?? 0;
  return tree;
}

/** Ticks of every process named `comm`, by pid. */
function ticksByComm(comm) {
  const byPid = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processTicks(entry);
    if (info && info.comm === comm) byPid[entry] = info.ticks;
  }
  return byPid;
}

/** Busy and total ticks of the whole machine (all cores). */
function machineTicks() {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = values[3] + values[4];
  return { busy: total - idle, total };
}

/** Ticks of each of these pids (the backends serving one database). */
function ticksOf(pids) {
  return Object.fromEntries(pids.map((pid) => [pid, processTicks(pid)?.ticks ?? 0]));
}

/**
 * Takes readings around a scenario. `monitor` is an open pg client (on another database) used to
 * find the backends serving the server's database, so PostgreSQL work done for the benchmark can
 * be told from work done for other sessions on the same server.
 */
export class CpuMeter {
  constructor(monitor) {
    this.monitor = monitor;
  }

  async backendsOf(database) {
    const { rows } = await this.monitor.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rows.map((row) => row.pid);
  }

  /** Transactions committed or rolled back in the database (each autocommit statement is one). */
  async transactionsOf(database) {
    const { rows } = await this.monitor.query(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async snapshot(serverPid, database) {
    const backends = ticksOf(await this.backendsOf(database));
    return {
      transactions: await this.transactionsOf(database),
      at: process.hrtime.bigint(),
      server: processTreeTicks(serverPid),
      postgres: ticksByComm('postgres'),
      backends,
      redis: ticksByComm('redis-server'),
      loadGenerator: process.cpuUsage(),
      machine: machineTicks(),
    };
  }
}

/**
 * Ticks used by the processes of two readings (pid → ticks): one that appeared in between counts
 * from zero, one that exited counts what it used until the first reading only, so another
 * cluster's processes ending cannot make a figure negative.
 */
function ticksBetween(before, after) {
  let sum = 0;
  for (const pid of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const end = after[pid] ?? before[pid];
    sum += end - (before[pid] ?? 0);
  }
  return sum;
}

const seconds = (ticks) => Math.round((ticks / TICKS_PER_SECOND) * 100) / 100;

/**
 * CPU seconds used between two snapshots: server, PostgreSQL (all its processes, including other
 * databases' sessions; and the backends of the server's own database alone), Redis, this process (the load generator), the machine, and "other": what
 * the machine spent beyond those, i.e. work that disturbed the measurement.
 */
export function cpuBetween(before, after) {
  const loadUs = process.cpuUsage(before.loadGenerator);
  const used = {
    wallSeconds: Math.round(Number(after.at - before.at) / 1e7) / 100,
    server: seconds(ticksBetween(before.server, after.server)),
    postgres: seconds(ticksBetween(before.postgres, after.postgres)),
    postgresThisDatabase: seconds(ticksBetween(before.backends, after.backends)),
    redis: seconds(ticksBetween(before.redis, after.redis)),
    loadGenerator: Math.round((loadUs.user + loadUs.system) / 1e4) / 100,
    machineBusy: seconds(after.machine.busy - before.machine.busy),
    machineCapacity: seconds(after.machine.total - before.machine.total),
  };
  // PostgreSQL reports a backend's counts up to a second late; both readings lag alike.
  used.transactions = after.transactions - before.transactions;
  const accounted = used.server + used.postgres + used.redis + used.loadGenerator;
  used.other = Math.max(0, Math.round((used.machineBusy - accounted) * 100) / 100);
  return used;
}
