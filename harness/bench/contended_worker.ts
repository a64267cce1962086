/*
 * Worker entry for one thread of a contended row: CPU `job.cpu` of a machine shared by all the
 * row's threads (kernel locks are found by name in its shm, so every thread hammers the same
 * lock word). Rounds are driven by the main thread through the ctl words: each thread checks in
 * at the barrier (CTL_READY), everyone starts when CTL_PHASE turns to the round's odd value and
 * stops when it changes, then the count of lock+unlock pairs of that round is recorded.
 *
 * The critical section is a plain (non-atomic) read-modify-write of CTL_CS: with a correct lock
 * its final value equals the sum of all counts, which the main thread checks after the run (the
 * check is outside the timed region). Shared (read-side) rows leave CTL_CS alone.
 *
 * Does not: time anything itself (the main thread owns the wall clock of a round).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { attachCpu } from '../cpu/standalone.js';
import { CTL_BASELINE, CTL_CS, CTL_PHASE, CTL_READY, type ContendedJob, type WorkerReply } from './bench_types.js';
import { needsKapi, resolveLockPair } from './lock_ops.js';

const job = workerData as ContendedJob;
const ctl = new Int32Array(job.ctl);
const notes: string[] = [];
const print = (lines: readonly string[]): void => {
  for (const l of lines) if (notes.length < 40) notes.push(`cpu${job.cpu}: ${l}`);
};

/**
 * Barrier wait until round `go` has started: returns the phase seen. A thread descheduled for
 * longer than a whole round sees a later phase (the round already over): it must not wait for
 * `go` any more (that would deadlock the next barrier), so any phase >= go or -1 returns.
 * Bounded waits so that a dead main thread cannot hang us forever.
 */
function waitPhase(go: number): number {
  for (let tries = 0; tries < 600; tries++) {
    const ph = Atomics.load(ctl, CTL_PHASE);
    if (ph >= go || ph === -1) return ph;
    Atomics.wait(ctl, CTL_PHASE, ph, 100); // pairs with Atomics.store + notify of CTL_PHASE in contended.ts
  }
  return -1;
}

async function hammer(): Promise<WorkerReply> {
  const r = await resolveLockPair(job.lock, job.op, { shared: new Int32Array(job.ctl, CTL_BASELINE * 4, 16), opsModule: job.opsModule, userShared: job.userShared, cpu: job.cpu });
  if (!r.ok) {
    // Still take part in the barrier protocol by leaving: the main thread sees the skip reply.
    return { kind: 'skip', ok: false, reason: r.reason };
  }
  const perRound: number[] = [];
  const exclusive = !job.shared;
  for (let round = 0; ; round++) {
    Atomics.add(ctl, CTL_READY, 1);
    Atomics.notify(ctl, CTL_READY);
    const go = 2 * round + 1;
    const ph = waitPhase(go);
    if (ph === -1) break;
    if (ph !== go) {
      // Missed the whole round (descheduled past its end): it counts 0 ops for this thread.
      notes.push(`cpu${job.cpu}: missed round ${round} (the thread did not run while it lasted)`);
      perRound.push(0);
      continue;
    }
    let n = 0;
    const cs = (): void => {
      if (!exclusive) return;
      const v = ctl[CTL_CS] ?? 0;
      ctl[CTL_CS] = v + 1;
    };
    switch (r.pair.kind) {
      case 'sync': {
        const p = r.pair;
        while (Atomics.load(ctl, CTL_PHASE) === go) {
          p.lock();
          cs();
          p.unlock();
          n++;
        }
        break;
      }
      case 'async': {
        const p = r.pair;
        while (Atomics.load(ctl, CTL_PHASE) === go) {
          await p.lock();
          cs();
          p.unlock();
          n++;
        }
        break;
      }
      case 'maybe': {
        const p = r.pair;
        while (Atomics.load(ctl, CTL_PHASE) === go) {
          const l = p.lock();
          if (l !== undefined) await l;
          cs();
          const u = p.unlock();
          if (u !== undefined) await u;
          n++;
        }
        break;
      }
    }
    perRound.push(n);
  }
  return { kind: 'counts', ok: true, perRound, notes };
}

async function main(): Promise<WorkerReply> {
  if (!needsKapi(job.lock)) return hammer();
  const cpu = attachCpu(job.machine, job.cpu, { nrCpus: job.threads, kconfig: { CONFIG_SMP: 'y' }, print });
  return cpu.run(hammer, `bench_${job.cpu}`);
}

// A pending Atomics.waitAsync (a sleeping user lock) does not keep a worker alive on Node 20.
const keepAlive = setInterval(() => {}, 1000);
main().then(
  (r) => {
    clearInterval(keepAlive);
    parentPort?.postMessage(r);
  },
  (e: unknown) => {
    clearInterval(keepAlive);
    parentPort?.postMessage({ kind: 'skip', ok: false, reason: `broken: ${e instanceof Error ? e.message : String(e)}` } satisfies WorkerReply);
  },
);
