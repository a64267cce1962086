/*
 * `torture bench [FILTER] [--ops FILE] [--compare OLD.json] [--time MS]`: runs the cases of
 * configs/bench/cases.ts, prints the tables and the speed goals, writes
 * results/bench/<YYYY.MM.DD-HH.MM.SS>/bench.json (+ bench.txt), and with --compare lists what got
 * slower than an earlier run. The driver's CLI calls runBench(); it returns the exit code.
 *
 * Exit codes: 0 whenever the bench ran (slower rows and skipped rows are findings, printed, not
 * failures); 2 for bad input (a TortureError from the argument checks, thrown to the caller).
 *
 * Does not: assert any speed, or retry a noisy row.
 */

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchCases, CAS_FLOOR_CASE, DEFAULT_MAX_THREADS, type BenchCase } from '../../configs/bench/cases.js';
import { TortureError } from '../errors.js';
import { datestamp } from '../lib/kvm_date.js';
import { INNER, type BenchReport, type BenchRow } from './bench_types.js';
import { compareReports, loadReport } from './compare.js';
import { runContended } from './contended.js';
import { evaluateGoals } from './goals.js';
import { hostInfo } from './host.js';
import { formatReport } from './report.js';
import { runLinearizability } from './linearizability.js';
import { runLockdepTrace } from './lockdep_trace.js';
import { runRcuUpdate } from './rcu_update.js';
import { runUncontended } from './uncontended.js';
import { userSharedBytesOf } from './user_lock.js';
import { runUserLocksCase } from './user_locks.js';

export interface BenchArgv {
  /** Comma-separated substrings of case names, or globs with `*`. */
  filter?: string;
  /** User lock module (--ops FILE). */
  ops?: string;
  /** Earlier bench.json to compare with. */
  compare?: string;
  /** Time per uncontended row and per contended round, ms (default 500). */
  time?: number;
  /** Write bench.json here instead of <results>/bench/<stamp>/bench.json. */
  json?: string;
  /** Results root directory (default ./results). */
  results?: string;
  /** Largest thread count of the contended rows (default 4). */
  threads?: number;
  /** Fresh worker runs per uncontended row, median reported (default 3). */
  processes?: number;
}

export const DEFAULT_TIME_MS = 500;
export const CONTENDED_ROUNDS = 5;
export const DEFAULT_PROCESSES = 3;

/** FILTER: comma-separated alternatives, each a substring of the case name or a glob with `*`. */
export function matchFilter(filter: string | undefined, name: string): boolean {
  if (filter === undefined || filter === '') return true;
  return filter.split(',').some((f) => {
    if (f === '') return false;
    if (!f.includes('*')) return name.includes(f);
    const re = new RegExp(`^${f.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(name);
  });
}

function checkArgs(a: BenchArgv): { timeMs: number; maxThreads: number; processes: number } {
  const timeMs = a.time ?? DEFAULT_TIME_MS;
  if (!Number.isInteger(timeMs) || timeMs < 1 || timeMs > 60_000) {
    throw new TortureError('USAGE', `Cannot run the bench as '--time' must be an integer number of milliseconds from 1 to 60000: current value is ${String(a.time)}`);
  }
  const maxThreads = a.threads ?? DEFAULT_MAX_THREADS;
  if (!Number.isInteger(maxThreads) || maxThreads < 2 || maxThreads > 32) {
    throw new TortureError('USAGE', `Cannot run the bench as '--threads' must be an integer from 2 to 32: current value is ${String(a.threads)}`);
  }
  if (a.ops !== undefined && !/^[a-z]+:/i.test(a.ops) && !existsSync(a.ops)) {
    throw new TortureError('OPS_MODULE', `Cannot load the user lock as '--ops' must name an existing module file: current value is ${a.ops}`);
  }
  const processes = a.processes ?? DEFAULT_PROCESSES;
  if (!Number.isInteger(processes) || processes < 1 || processes > 15) {
    throw new TortureError('USAGE', `Cannot run the bench as '--runs' must be an integer from 1 to 15: current value is ${String(a.processes)}`);
  }
  return { timeMs, maxThreads, processes };
}

function progress(i: number, n: number, r: BenchRow): void {
  let fig = '';
  if (r.state === 'skipped') fig = `skipped: ${r.reason}`;
  else if (r.kind === 'latency') fig = `${r.p50Ns.toFixed(1)} ns/op`;
  else if (r.kind === 'throughput') fig = `${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s`;
  else if (r.kind === 'lockdep_trace') fig = `${Math.round(r.eventsPerSec).toLocaleString('en-US')} events/s`;
  else if (r.kind === 'linearizability') fig = `${r.checkMs.toFixed(0)} ms`;
  else fig = `${Math.round(r.gpsPerSec).toLocaleString('en-US')} GP/s`;
  process.stderr.write(`[${i + 1}/${n}] ${r.name}: ${fig}\n`);
}

async function runCase(c: BenchCase, timeMs: number, warmupMs: number, ops: string | undefined, userSharedBytes: number, timerResolutionNs: number, processes: number, scratchDir: string): Promise<BenchRow> {
  switch (c.kind) {
    case 'uncontended':
      return runUncontended(c, { timeMs, warmupMs, opsModule: ops, timerResolutionNs, processes });
    case 'contended':
      return runContended(c, { windowMs: timeMs, rounds: CONTENDED_ROUNDS, opsModule: ops, userSharedBytes });
    case 'rcu_update':
      return runRcuUpdate(c, { timeMs, scratchDir });
    case 'lockdep_trace':
      return runLockdepTrace(c, { runs: processes, scratchDir });
    case 'user_locks':
      return runUserLocksCase(c, { timeMs, processes });
    case 'linearizability':
      return await runLinearizability(c, { runs: processes, scratchDir });
  }
}

/** Fill in every latency row's ratio to the CAS floor (p50 / floor p50). */
function withFloorRatios(rows: BenchRow[]): BenchRow[] {
  const floor = rows.find((r) => r.name === CAS_FLOOR_CASE);
  const f = floor !== undefined && floor.state === 'measured' && floor.kind === 'latency' ? floor.p50Ns : null;
  return rows.map((r) => (r.state === 'measured' && r.kind === 'latency' && f !== null ? { ...r, ratioToFloor: r.p50Ns / f } : r));
}

export async function runBench(argv: BenchArgv): Promise<number> {
  const { timeMs, maxThreads, processes } = checkArgs(argv);
  const oldReport = argv.compare !== undefined ? loadReport(argv.compare) : null;
  // A bad --ops module is bad input (TortureError OPS_MODULE, exit 2), found before any row runs.
  const userSharedBytes = argv.ops !== undefined ? await userSharedBytesOf(argv.ops) : 0;
  const warmupMs = Math.max(1, Math.min(200, Math.floor(timeMs / 2)));
  const started = new Date();
  let cases = benchCases(maxThreads).filter((c) => matchFilter(argv.filter, c.name));
  if (cases.length === 0) {
    throw new TortureError('USAGE', `Cannot run the bench as 'FILTER' must match at least one case name: current value is ${argv.filter ?? ''}`);
  }
  // Ratios need the CAS floor measured in the same run: add it when a filter left it out.
  const floor = benchCases(maxThreads).find((c) => c.name === CAS_FLOOR_CASE);
  if (floor !== undefined && !cases.includes(floor) && cases.some((c) => c.kind === 'uncontended')) cases = [floor, ...cases];
  const host = hostInfo();
  const jsonPath = argv.json ?? path.join(argv.results ?? 'results', 'bench', datestamp(started), 'bench.json');
  // The files some cases need (a guest's directory, a generated trace) go under the directory this
  // run writes to, one per case, removed after it, and the whole scratch directory at the end
  // (README.md, "Scratch"): never in the OS temporary directory.
  const scratch = path.join(path.dirname(jsonPath), `scratch-${process.pid}`);
  const rows: BenchRow[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const r = await runCase(c, timeMs, warmupMs, argv.ops, userSharedBytes, host.timerResolutionNs, processes, path.join(scratch, c.name));
      rows.push(r);
      progress(i, cases.length, r);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const finalRows = withFloorRatios(rows);
  const report: BenchReport = {
    version: 1,
    startedAt: started.toISOString(),
    host,
    settings: { timeMs, warmupMs, inner: INNER, maxThreads, rounds: CONTENDED_ROUNDS, processes, filter: argv.filter ?? null, ops: argv.ops ?? null },
    rows: finalRows,
    goals: evaluateGoals(finalRows),
  };
  const text = formatReport(report);
  console.log(text);
  mkdirSync(path.dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n');
  if (argv.json === undefined) writeFileSync(path.join(path.dirname(jsonPath), 'bench.txt'), text + '\n');
  console.log(`\nbench.json: ${jsonPath}`);
  if (oldReport !== null) console.log('\n' + compareReports(oldReport, report).join('\n'));
  return 0;
}
