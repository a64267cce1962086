/*
 * Runs one uncontended case on fresh worker threads and turns the replies into a row (ns/op).
 * The ratio to the CAS floor is filled in by the caller once the floor row is known.
 */

import { mToNs } from 'tinybench';
import type { UncontendedCase } from '../../configs/bench/cases.js';
import { INNER, type BenchRow, type UncontendedJob, type WorkerReply } from './bench_types.js';
import { spawnWorker } from './spawn.js';

export interface UncontendedSettings {
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly opsModule: string | undefined;
  /** Observed timer step (host.ts), to flag samples too short to time well. */
  readonly timerResolutionNs: number;
  /** Fresh workers per row; the median one is reported. */
  readonly processes: number;
}

/** A sample shorter than this many timer steps is flagged in the row's notes. */
const MIN_SAMPLE_TIMER_STEPS = 100;

type LatencyReply = Extract<WorkerReply, { kind: 'latency' }>;

/**
 * Runs the case in `s.processes` fresh workers one after the other and reports the worker whose
 * p50 is the median: V8 sometimes settles a loop on slower code for a whole thread (bimodal
 * p50s with tight rme each), and one worker cannot tell which mode it got. Every worker's p50
 * is kept in the row.
 */
export async function runUncontended(c: UncontendedCase, s: UncontendedSettings): Promise<BenchRow> {
  const job: UncontendedJob = {
    kind: 'uncontended',
    name: c.name,
    lock: c.lock,
    op: c.op,
    lockdep: c.lockdep,
    ...(c.lockStat === true ? { lockStat: true } : {}),
    timeMs: s.timeMs,
    warmupMs: s.warmupMs,
    opsModule: s.opsModule,
  };
  const runs: LatencyReply[] = [];
  for (let i = 0; i < s.processes; i++) {
    // A sample is INNER ops: a slow lock (async-mutex ~3 us/op) needs ~30 ms per sample, and
    // tinybench takes at least `iterations` samples, so the deadline allows for that.
    const { worker, reply } = spawnWorker('uncontended_worker', job, 30_000 + 4 * (s.timeMs + s.warmupMs));
    const r = await reply;
    await worker.terminate();
    if (r.kind !== 'latency') {
      return { state: 'skipped', kind: 'latency', name: c.name, what: c.what, reason: r.kind === 'skip' ? r.reason : 'unexpected reply' };
    }
    runs.push(r);
  }
  runs.sort((a, b) => a.p50Ms - b.p50Ms);
  const r = runs[Math.floor((runs.length - 1) / 2)] as LatencyReply;
  const sampleNs = mToNs(r.p50Ms) * INNER;
  const notes = [...r.notes];
  if (sampleNs < MIN_SAMPLE_TIMER_STEPS * s.timerResolutionNs) {
    notes.push(`timer warning: a sample (${Math.round(sampleNs)} ns) is under ${MIN_SAMPLE_TIMER_STEPS} timer steps of ${s.timerResolutionNs} ns`);
  }
  return {
    state: 'measured',
    kind: 'latency',
    name: c.name,
    what: c.what,
    lockdep: c.lockdep,
    p50Ns: mToNs(r.p50Ms),
    p99Ns: mToNs(r.p99Ms),
    meanNs: mToNs(r.meanMs),
    rme: r.rme,
    samples: r.samples,
    opsPerSample: INNER,
    processP50Ns: runs.map((x) => mToNs(x.p50Ms)),
    ratioToFloor: null,
    notes,
  };
}
