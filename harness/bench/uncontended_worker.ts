/*
 * Worker entry for ONE uncontended row: a fresh thread per row, so every row's loop is
 * monomorphic and JIT state from one lock never leaks into the next (the CAS floor and the
 * kernel mutex are measured under the same conditions).
 *
 * Kernel locks run on a CPU attached to a private one-CPU machine (harness/cpu/standalone.ts),
 * inside a task (cpu.run), as kernel code calls them: a sync pair is called, an async pair is
 * awaited directly. The awaited-CAS baseline runs there too (lock_ops.ts runsInTask), so the
 * mutex goal compares two awaits made in the same context and the same loop. lockdep is
 * installed only for `.lockdep` rows. Each tinybench sample times INNER lock+unlock pairs in CPU
 * time (cpuNowMs()) and reports the per-op time as overriddenDuration; set-up (lock definition,
 * the first lockdep chain) happens before timing, in warmup.
 *
 * Replies once with the latency statistics or a skip reason; never a number it did not measure.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { Bench, type FnReturnedObject, type Task } from 'tinybench';
import { attachCpu, createMachine, type StandaloneCpu } from '../cpu/standalone.js';
import { HDR_LOCKDEP_ON } from '../shm/layout.js';
import { INNER, type UncontendedJob, type WorkerReply } from './bench_types.js';
import { resolveLockPair, runsInTask } from './lock_ops.js';
import type { LockPair } from './lock_pair.js';
import { loadLockdep } from './lockdep_env.js';

const job = workerData as UncontendedJob;
const notes: string[] = [];
const print = (lines: readonly string[]): void => {
  for (const l of lines) if (notes.length < 40) notes.push(l);
};

function reply(r: WorkerReply): void {
  parentPort?.postMessage(r);
}

/**
 * A sample's clock: this process's CPU time in ms (process.cpuUsage(): user + system), not wall
 * time. On the shared 2-core host (load average 6-50) most 1 ms samples of wall time include
 * time spent descheduled, so rows timed minutes apart compared the load of two moments, not two
 * locks. While this worker measures, the bench's main thread only waits for its reply (one row at
 * a time), so the process's CPU time is this worker's own, plus V8's GC helpers working for it
 * (the price of what the row allocates). Resolution 1 us: a sample of INNER ops is >= 100 us.
 */
function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function addTask(bench: Bench, pair: LockPair): void {
  const now = cpuNowMs;
  const done = (t0: number): FnReturnedObject => {
    const ms = now() - t0;
    return { overriddenDuration: ms / INNER, overriddenIterationCost: ms };
  };
  switch (pair.kind) {
    case 'sync': {
      const p = pair;
      bench.add(
        job.name,
        (): FnReturnedObject => {
          const t0 = now();
          for (let i = 0; i < INNER; i++) {
            p.lock();
            p.unlock();
          }
          return done(t0);
        },
        { async: false },
      );
      return;
    }
    case 'async': {
      const p = pair;
      bench.add(
        job.name,
        async (): Promise<FnReturnedObject> => {
          const t0 = now();
          for (let i = 0; i < INNER; i++) {
            await p.lock();
            p.unlock();
          }
          return done(t0);
        },
        { async: true },
      );
      return;
    }
    case 'maybe': {
      // Awaits only what the lock returns: an uncontended user lock that never sleeps costs no
      // microtask per op (the async function's own cost is per sample).
      const p = pair;
      bench.add(
        job.name,
        async (): Promise<FnReturnedObject> => {
          const t0 = now();
          for (let i = 0; i < INNER; i++) {
            const l = p.lock();
            if (l !== undefined) await l;
            const u = p.unlock();
            if (u !== undefined) await u;
          }
          return done(t0);
        },
        { async: true },
      );
      return;
    }
  }
}

async function measure(shared: Int32Array): Promise<WorkerReply> {
  const r = await resolveLockPair(job.lock, job.op, { shared, opsModule: job.opsModule, userShared: null, cpu: 0 });
  if (!r.ok) return { kind: 'skip', ok: false, reason: r.reason };
  // Boot messages of the set-up (rcu_init's banner) are not output "while measuring".
  notes.length = 0;
  const bench = new Bench({
    name: job.name,
    time: job.timeMs,
    warmupTime: job.warmupMs,
    iterations: 8,
    warmupIterations: 4,
    timestampProvider: 'hrtimeNow',
    throws: true,
  });
  bench.addEventListener('warning', (e) => {
    const reason = (e as unknown as { reason?: unknown }).reason;
    notes.push(`tinybench warning: ${String(reason ?? 'timer')}`);
  });
  addTask(bench, r.pair);
  let tasks: Task[];
  try {
    tasks = r.pair.kind === 'sync' ? bench.runSync() : await bench.run();
  } catch (e) {
    return { kind: 'skip', ok: false, reason: `broken: ${e instanceof Error ? e.message : String(e)}` };
  }
  const res = tasks[0]?.result;
  if (res === undefined || (res.state !== 'completed' && res.state !== 'aborted-with-statistics')) {
    const err = res !== undefined && res.state === 'errored' ? res.error.message : (res?.state ?? 'no task');
    return { kind: 'skip', ok: false, reason: `broken: ${err}` };
  }
  const l = res.latency;
  return { kind: 'latency', ok: true, p50Ms: l.p50, p99Ms: l.p99, meanMs: l.mean, rme: l.rme, samples: l.samplesCount, notes };
}

async function main(): Promise<WorkerReply> {
  // A pending Atomics.waitAsync (a sleeping user lock) does not keep a worker alive on Node 20.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await main2();
  } finally {
    clearInterval(keepAlive);
  }
}

async function main2(): Promise<WorkerReply> {
  const shared = new Int32Array(new SharedArrayBuffer(64));
  if (!runsInTask(job.lock)) return measure(shared);
  // rcu_preempt is the same RCU code with CONFIG_PREEMPT=y (the flavour is chosen at rcu_init).
  const preempt: Record<string, string> = job.lock === 'rcu_preempt' ? { CONFIG_PREEMPT: 'y' } : {};
  let cpu: StandaloneCpu;
  if (job.lockdep) {
    const ld = await loadLockdep();
    if (!ld.ok) return { kind: 'skip', ok: false, reason: ld.reason };
    const sab = createMachine({ nrCpus: 1, lockdepWords: ld.ld.words });
    const i32 = new Int32Array(sab);
    Atomics.store(i32, HDR_LOCKDEP_ON, 1);
    cpu = attachCpu(sab, 0, {
      nrCpus: 1,
      lockdepWords: ld.ld.words,
      kconfig: { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y', CONFIG_SMP: 'y', ...preempt },
      print,
      validator: ld.ld.validator(i32, print),
    });
  } else {
    // lock_stat rows: a machine with the lock_stat region, as a guest with CONFIG_LOCK_STAT=y.
    const lockStat = job.lockStat === true;
    const sab = createMachine({ nrCpus: 1, lockStat });
    cpu = attachCpu(sab, 0, { nrCpus: 1, kconfig: { CONFIG_SMP: 'y', ...(lockStat ? { CONFIG_LOCK_STAT: 'y' } : {}), ...preempt }, print });
  }
  const reply = await cpu.run(() => measure(shared), 'bench');
  // A validator that reported something switches itself off (debug_locks=0): the row would then
  // time the off path under an "on" name.
  if (job.lockdep && reply.ok && !cpu.kapi.lockdep.enabled) {
    return { kind: 'skip', ok: false, reason: `lockdep switched itself off while measuring: ${notes.find((l) => l.trim() !== '') ?? 'no report printed'}` };
  }
  return reply;
}

main().then(reply, (e: unknown) => reply({ kind: 'skip', ok: false, reason: `broken: ${e instanceof Error ? e.message : String(e)}` }));
