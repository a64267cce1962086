/*
 * The zero-cost-off rows of torture/locks: each lock's lock+unlock, uncontended, in ns/op, three
 * ways measured in the same run: the bare algorithm (the same atomics with nothing around them),
 * the torture/locks lock with lockdep off, and with lockdep on. Ratios: off / bare (what the
 * switch costs when off: the goal is 1.0 within the noise) and on / off (what lockdep costs).
 * The async-mutex adapter is measured against async-mutex itself.
 *
 * Two ways to run them (the rows are USER_LOCKS_ROWS of configs/bench/cases.ts):
 *   npx torture bench locks.          the `locks.*` cases of `torture bench` (runUserLocksCase: each
 *                                     row's runs one after the other, rows in bench.json, and the
 *                                     goal `torture/locks lockdep off <= 1.1x the bare algorithm`)
 *   node dist/harness/bench/user_locks.js [--time MS] [--runs N]
 *                                     the rows of one run interleaved (bare, off, on, bare, off,
 *                                     on...) so that a host that slows down slows all of them, and
 *                                     each ratio the median of the per-run ratios
 * Every row runs in a fresh worker thread (user_locks_worker.ts). Speeds are printed, never asserted.
 */

import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { USER_LOCKS_ROWS, type UserLocksCase } from '../../configs/bench/cases.js';
import { distFile } from '../lib/dist_entry.js';
import { INNER, type BenchRow } from './bench_types.js';

export type UserLocksLock = UserLocksCase['lock'];

export interface UserLocksJob {
  readonly name: string;
  readonly lock: UserLocksLock;
  readonly lockdep: boolean;
  readonly timeMs: number;
}

export type UserLocksReply =
  | { readonly ok: true; readonly p50Ns: number; readonly p99Ns: number; readonly meanNs: number; readonly rme: number; readonly samples: number }
  | { readonly ok: false; readonly reason: string };

export interface UserLocksRow {
  readonly name: string;
  readonly what: string;
  /** Median over runs of the per-run p50, ns/op; null when a run was skipped. */
  readonly p50Ns: number | null;
  readonly runsP50Ns: readonly number[];
  /** Median over runs of (this row / the group's first row) in the same run. */
  readonly ratio: number | null;
  /** For a lockdep row: median over runs of (this row / the same lock with lockdep off) in the same run; null otherwise. */
  readonly onOff: number | null;
  readonly skipped: string | null;
}

function runOne(job: UserLocksJob): Promise<UserLocksReply> {
  return new Promise((resolve) => {
    const w = new Worker(distFile('harness/bench/user_locks_worker.js'), { workerData: job, stdout: true, stderr: true });
    w.stdout.resume();
    w.stderr.resume();
    const cap = setTimeout(() => void w.terminate().then(() => resolve({ ok: false, reason: 'hung: no result within 60 s' })), 60_000);
    w.once('message', (r: UserLocksReply) => {
      clearTimeout(cap);
      void w.terminate().then(() => resolve(r));
    });
    w.once('error', (e) => {
      clearTimeout(cap);
      resolve({ ok: false, reason: `broken: ${e.message}` });
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

/** One row as a `torture bench` case: `processes` fresh workers one after the other, the median run's figures. */
export async function runUserLocksCase(c: UserLocksCase, s: { timeMs: number; processes: number }): Promise<BenchRow> {
  const runs: Extract<UserLocksReply, { ok: true }>[] = [];
  for (let i = 0; i < s.processes; i++) {
    const r = await runOne({ name: c.name, lock: c.lock, lockdep: c.lockdep, timeMs: s.timeMs });
    if (!r.ok) return { state: 'skipped', kind: 'latency', name: c.name, what: c.what, reason: r.reason };
    runs.push(r);
  }
  runs.sort((a, b) => a.p50Ns - b.p50Ns);
  const r = runs[Math.floor((runs.length - 1) / 2)] as (typeof runs)[number];
  return {
    state: 'measured',
    kind: 'latency',
    name: c.name,
    what: c.what,
    lockdep: c.lockdep,
    p50Ns: r.p50Ns,
    p99Ns: r.p99Ns,
    meanNs: r.meanNs,
    rme: r.rme,
    samples: r.samples,
    opsPerSample: INNER,
    processP50Ns: runs.map((x) => x.p50Ns),
    ratioToFloor: null,
    notes: [],
  };
}

/** Measure every row `runs` times, interleaved, and return the rows with their ratios. */
export async function runUserLocks(timeMs = 500, runs = 3, log: (line: string) => void = () => {}): Promise<UserLocksRow[]> {
  const p50s = new Map<string, number[]>();
  const skipped = new Map<string, string>();
  for (let run = 0; run < runs; run++) {
    for (const r of USER_LOCKS_ROWS) {
      const reply = await runOne({ name: r.name, lock: r.lock, lockdep: r.lockdep, timeMs });
      if (!reply.ok) skipped.set(r.name, reply.reason);
      else p50s.set(r.name, [...(p50s.get(r.name) ?? []), reply.p50Ns]);
      log(`[run ${run + 1}/${runs}] ${r.name}: ${reply.ok ? `${reply.p50Ns.toFixed(1)} ns/op` : reply.reason}`);
    }
  }
  // Ratios run by run (rows of one run ran one after the other on the same host), then their median.
  const perRun = (a: string, b: string | undefined): number | null => {
    const x = p50s.get(a) ?? [];
    const y = b === undefined ? [] : (p50s.get(b) ?? []);
    if (skipped.has(a) || (b !== undefined && skipped.has(b)) || x.length === 0 || x.length !== y.length) return null;
    return median(x.map((v, i) => v / (y[i] ?? NaN)));
  };
  return USER_LOCKS_ROWS.map((r) => {
    const runsP50Ns = p50s.get(r.name) ?? [];
    const first = USER_LOCKS_ROWS.find((o) => o.group === r.group)?.name;
    const off = r.lockdep ? USER_LOCKS_ROWS.find((o) => o.group === r.group && o.lock === r.lock && !o.lockdep)?.name : undefined;
    return {
      name: r.name,
      what: r.what,
      p50Ns: skipped.has(r.name) || runsP50Ns.length === 0 ? null : median(runsP50Ns),
      runsP50Ns,
      ratio: perRun(r.name, first),
      onOff: off === undefined ? null : perRun(r.name, off),
      skipped: skipped.get(r.name) ?? null,
    };
  });
}

/** The rows as a text table. */
export function formatUserLocks(rows: readonly UserLocksRow[]): string {
  const head = ['case', 'ns/op (p50)', 'x baseline', 'on / off', 'p50 of runs'];
  const x = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}x`);
  const body = rows.map((r) => [r.name, r.p50Ns === null ? `skipped: ${r.skipped ?? ''}` : r.p50Ns.toFixed(1), x(r.ratio), x(r.onOff), r.runsP50Ns.map((v) => v.toFixed(1)).join(' / ')]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`Cannot run the locks bench as '${name}' must be an integer >= 1: current value is ${process.argv[i + 1] ?? ''}\n`);
    process.exit(2);
  }
  return v;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runUserLocks(arg('--time', 500), arg('--runs', 3), (l) => process.stderr.write(`${l}\n`));
  console.log(formatUserLocks(rows));
}
