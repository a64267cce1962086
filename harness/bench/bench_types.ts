/*
 * What `torture bench` produces and what its worker threads exchange. Rows are a union tagged by
 * `state` (measured or skipped, never a made-up number) and, when measured, by `kind`.
 * bench.json is `BenchReport`; --compare reads the same shape back.
 */

import type { BenchLock, BenchOp } from '../../configs/bench/cases.js';

/** Ops per tinybench sample for the uncontended rows (one op is far below timer resolution). */
export const INNER = 10_000;

export interface LatencyRow {
  readonly state: 'measured';
  readonly kind: 'latency';
  readonly name: string;
  readonly what: string;
  readonly lockdep: boolean;
  /** Per-op latency over samples of INNER ops, in ns. */
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly meanNs: number;
  /** Relative margin of error of the mean, percent (tinybench rme). */
  readonly rme: number;
  readonly samples: number;
  readonly opsPerSample: number;
  /** p50 of each worker process run (sorted); the row's figures are the median run's. */
  readonly processP50Ns: readonly number[];
  /** p50 / p50 of the CAS floor row; null when the floor row was not measured. */
  readonly ratioToFloor: number | null;
  /** Console lines the kernel printed while measured (a lockdep splat, a BUG), and tinybench warnings. */
  readonly notes: readonly string[];
}

export interface ThroughputRow {
  readonly state: 'measured';
  readonly kind: 'throughput';
  readonly name: string;
  readonly what: string;
  readonly threads: number;
  /** Mean over rounds of total ops/s. */
  readonly opsPerSec: number;
  /** Total ops/s of each round. */
  readonly rounds: readonly number[];
  readonly rme: number;
  /** Ops of each thread summed over rounds. */
  readonly perThread: readonly number[];
  /** max/min of perThread (1 = perfectly fair; Infinity when a thread starved). */
  readonly fairness: number;
  /** Mutual exclusion of the critical section: 'ok', 'LOST n', or 'n/a' for shared (read) locks. */
  readonly exclusion: string;
  readonly wallMsPerRound: number;
  readonly notes: readonly string[];
}

export interface RcuUpdateRow {
  readonly state: 'measured';
  readonly kind: 'rcu_update';
  readonly name: string;
  readonly what: string;
  readonly nrCpus: number;
  /** Grace periods completed per second (from the GP sequence counter when RCU exposes it). */
  readonly gpsPerSec: number;
  /** How gpsPerSec was counted. */
  readonly gpSource: string;
  readonly syncP50Us: number;
  readonly syncP99Us: number;
  readonly syncCalls: number;
  readonly seconds: number;
  readonly notes: readonly string[];
}

export interface LockdepTraceRow {
  readonly state: 'measured';
  readonly kind: 'lockdep_trace';
  readonly name: string;
  readonly what: string;
  readonly events: number;
  readonly classes: number;
  readonly tasks: number;
  readonly fileBytes: number;
  /** Read + parse + validate, ms (median of the runs; the work of `torture lockdep FILE` after startup). */
  readonly checkMs: number;
  readonly eventsPerSec: number;
  /** The baseline: readFileSync + JSON.parse of every line of the same file, ms (median). */
  readonly readParseMs: number;
  /** checkMs / readParseMs. */
  readonly ratioToReadParse: number;
  /** Peak resident memory of the checking process, MB (maxRSS). */
  readonly peakRssMb: number;
  readonly dependencies: number;
  /** Every run's checkMs, sorted. */
  readonly runsMs: readonly number[];
  readonly notes: readonly string[];
}

export interface LinearizabilityRow {
  readonly state: 'measured';
  readonly kind: 'linearizability';
  readonly name: string;
  readonly what: string;
  readonly ops: number;
  readonly threads: number;
  /** checkLinearizable() on the history, ms (median of the runs). */
  readonly checkMs: number;
  readonly opsPerSec: number;
  /** The baseline: the spec stepped once per call in response order, ms (median). */
  readonly replayMs: number;
  /** checkMs / replayMs. */
  readonly ratioToReplay: number;
  readonly runsMs: readonly number[];
  readonly notes: readonly string[];
}

export interface SkippedRow {
  readonly state: 'skipped';
  readonly kind: 'latency' | 'throughput' | 'rcu_update' | 'lockdep_trace' | 'linearizability';
  readonly name: string;
  readonly what: string;
  readonly reason: string;
}

export type BenchRow = LatencyRow | ThroughputRow | RcuUpdateRow | LockdepTraceRow | LinearizabilityRow | SkippedRow;

export interface HostInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly nodeVersion: string;
  readonly platform: string;
  readonly arch: string;
  readonly v8: string;
  /** Smallest non-zero step of process.hrtime.bigint() seen, ns. */
  readonly timerResolutionNs: number;
  readonly tinybench: string;
  /** 1-minute load average when the run started: other work on the box makes figures noisy. */
  readonly loadAvg1: number;
}

export interface GoalResult {
  readonly goal: string;
  readonly status: 'MET' | 'MISSED' | 'UNMEASURED';
  /** The measured figure against the goal, e.g. "1.18x (<= 1.3x)". */
  readonly figure: string;
  readonly detail: string;
}

export interface BenchReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly host: HostInfo;
  readonly settings: { readonly timeMs: number; readonly warmupMs: number; readonly inner: number; readonly maxThreads: number; readonly rounds: number; readonly processes: number; readonly filter: string | null; readonly ops: string | null };
  readonly rows: readonly BenchRow[];
  readonly goals: readonly GoalResult[];
}

/* ---- main <-> worker messages ---- */

export interface UncontendedJob {
  readonly kind: 'uncontended';
  readonly name: string;
  readonly lock: BenchLock;
  readonly op: BenchOp;
  readonly lockdep: boolean;
  /** CONFIG_LOCK_STAT=y on the row's machine. */
  readonly lockStat?: boolean;
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly opsModule: string | undefined;
}

export interface ContendedJob {
  readonly kind: 'contended';
  readonly name: string;
  readonly lock: BenchLock;
  readonly op: BenchOp;
  readonly cpu: number;
  readonly threads: number;
  readonly shared: boolean;
  /** The machine (kernel locks) and the bench control words. */
  readonly machine: SharedArrayBuffer;
  readonly ctl: SharedArrayBuffer;
  readonly opsModule: string | undefined;
  /** The user lock's shared memory for all threads (user rows), else null. */
  readonly userShared: SharedArrayBuffer | null;
}

export type WorkerReply =
  | { readonly kind: 'latency'; readonly ok: true; readonly p50Ms: number; readonly p99Ms: number; readonly meanMs: number; readonly rme: number; readonly samples: number; readonly notes: readonly string[] }
  | { readonly kind: 'counts'; readonly ok: true; readonly perRound: readonly number[]; readonly notes: readonly string[] }
  | { readonly kind: 'skip'; readonly ok: false; readonly reason: string };

/* Control words of a contended run (ctl SAB, Int32). */
export const CTL_READY = 0; // workers that reached the barrier of the current round
export const CTL_PHASE = 1; // 2r+1 while round r runs, 2r+2 after it; -1 = end
export const CTL_CS = 16; // the critical-section counter, own cache line
export const CTL_BASELINE = 32; // baseline lock word, own cache line
export const CTL_WORDS = 48;
