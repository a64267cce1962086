/*
 * Runs one contended case: `threads` worker threads (CPUs of one fresh machine) on one lock for
 * `rounds` windows of `windowMs` wall time each, after one unreported warm-up round (JIT tier-up
 * of the loop and the lock). The main thread owns the clock: it waits until every thread has
 * checked in at the barrier, stamps t0, flips CTL_PHASE to start the round, sleeps, flips it
 * again and stamps t1. Reported: mean total ops/s over the measured rounds (with its rme),
 * per-thread totals, fairness = max/min, and the mutual-exclusion check of the critical section
 * (over every round, warm-up included).
 */

import type { ContendedCase } from '../../configs/bench/cases.js';
import { createMachine } from '../cpu/standalone.js';
import { CTL_CS, CTL_PHASE, CTL_READY, CTL_WORDS, type BenchRow, type ContendedJob, type WorkerReply } from './bench_types.js';
import { spawnWorker, type Spawned } from './spawn.js';
import { rmeOf } from './stats.js';

export interface ContendedSettings {
  readonly windowMs: number;
  readonly rounds: number;
  readonly opsModule: string | undefined;
  /** sharedBytes of the --ops module (0 without one). */
  readonly userSharedBytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Longest warm-up round. */
const WARMUP_MS = 200;

/** Wait (polling; the main thread must not block its event loop) until pred() or a skip reply. */
async function until(pred: () => boolean, skipped: () => string | null, timeoutMs: number): Promise<string | null> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    const s = skipped();
    if (s !== null) return s;
    if (performance.now() > end) return `hung: threads did not reach the barrier within ${Math.round(timeoutMs / 1000)} s`;
    await sleep(1);
  }
  return null;
}

export async function runContended(c: ContendedCase, s: ContendedSettings): Promise<BenchRow> {
  const ctlSab = new SharedArrayBuffer(CTL_WORDS * 4);
  const ctl = new Int32Array(ctlSab);
  const machine = createMachine({ nrCpus: c.threads });
  const userShared = c.lock === 'user' ? new SharedArrayBuffer(Math.max(4, Math.ceil(s.userSharedBytes / 4) * 4)) : null;
  const deadline = 30_000 + s.rounds * s.windowMs * 4;
  const spawned: Spawned[] = [];
  const replies: Array<WorkerReply | null> = [];
  for (let cpu = 0; cpu < c.threads; cpu++) {
    const job: ContendedJob = { kind: 'contended', name: c.name, lock: c.lock, op: c.op, cpu, threads: c.threads, shared: c.shared, machine, ctl: ctlSab, opsModule: s.opsModule, userShared };
    const sp = spawnWorker('contended_worker', job, deadline);
    spawned.push(sp);
    replies.push(null);
    void sp.reply.then((r) => {
      replies[cpu] = r;
    });
  }
  const skipReason = (): string | null => {
    for (const r of replies) if (r !== null && r.kind === 'skip') return r.reason;
    return null;
  };
  const windows: number[] = [];
  let failure: string | null = null;
  const total = s.rounds + 1; // round 0 warms up
  for (let round = 0; round < total && failure === null; round++) {
    failure = await until(() => Atomics.load(ctl, CTL_READY) >= c.threads * (round + 1), skipReason, 20_000);
    if (failure !== null) failure += ` (round ${round}: ${Atomics.load(ctl, CTL_READY) - c.threads * round} of ${c.threads} at the barrier)`;
    if (failure !== null) break;
    const t0 = performance.now();
    Atomics.store(ctl, CTL_PHASE, 2 * round + 1);
    Atomics.notify(ctl, CTL_PHASE); // pairs with Atomics.wait in contended_worker.ts waitPhase()
    await sleep(round === 0 ? Math.min(s.windowMs, WARMUP_MS) : s.windowMs);
    // The last round ends with -1, which also releases the threads from the barrier for good.
    Atomics.store(ctl, CTL_PHASE, round === total - 1 ? -1 : 2 * round + 2);
    Atomics.notify(ctl, CTL_PHASE);
    windows.push(performance.now() - t0);
  }
  if (failure !== null) {
    Atomics.store(ctl, CTL_PHASE, -1);
    Atomics.notify(ctl, CTL_PHASE);
  }
  const all = await Promise.all(spawned.map((sp) => sp.reply));
  await Promise.all(spawned.map((sp) => sp.worker.terminate()));
  const skip = all.find((r) => r.kind === 'skip');
  if (failure !== null || skip !== undefined) {
    const reason = skip !== undefined && skip.kind === 'skip' ? skip.reason : (failure ?? 'unknown');
    return { state: 'skipped', kind: 'throughput', name: c.name, what: c.what, reason };
  }
  const allCounts = all.map((r) => (r.kind === 'counts' ? r.perRound : []));
  const everyOp = allCounts.reduce((sum, pr) => sum + pr.reduce((a, b) => a + b, 0), 0);
  const counts = allCounts.map((pr) => pr.slice(1));
  const rounds = windows.slice(1).map((ms, i) => counts.reduce((sum, pr) => sum + (pr[i] ?? 0), 0) / (ms / 1000));
  const perThread = counts.map((pr) => pr.reduce((a, b) => a + b, 0));
  const max = Math.max(...perThread);
  const min = Math.min(...perThread);
  const cs = Atomics.load(ctl, CTL_CS);
  const notes = all.flatMap((r) => (r.kind === 'counts' ? r.notes : []));
  return {
    state: 'measured',
    kind: 'throughput',
    name: c.name,
    what: c.what,
    threads: c.threads,
    opsPerSec: rounds.reduce((a, b) => a + b, 0) / rounds.length,
    rounds,
    rme: rmeOf(rounds),
    perThread,
    fairness: min === 0 ? Infinity : max / min,
    exclusion: c.shared ? 'n/a' : cs === everyOp ? 'ok' : `LOST ${everyOp - cs}`,
    wallMsPerRound: s.windowMs,
    notes,
  };
}
