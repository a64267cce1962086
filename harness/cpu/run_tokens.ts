/*
 * The run tokens of one executor's view: taking, holding and giving up a CPU's token, and
 * select_task_rq(), the choice of the CPU to take (harness/cpu/README.md, "Executors and run
 * tokens", explains the model). A token is a ticket lock in the CPU's slot (CPU_TOKEN_NEXT,
 * CPU_TOKEN_SERVING, CPU_TOKEN_HOLDER): waiters are served in FIFO order, so nobody starves. Its
 * own class because it owns the token's hand-off state (the slice, the planted lost hand-off);
 * the CPU held is the runtime's `cpu` (smp_processor_id()), written only here.
 */

import { test_lost_token } from '../../kernels/core_params.js';
import {
  CPU_CURR_PID,
  CPU_IDLE,
  CPU_TOKEN_HOLDER,
  CPU_TOKEN_NEXT,
  CPU_TOKEN_SERVING,
  EXEC_WAITS_FOR,
  HDR_NR_CPUS,
  HDR_SHUFFLE_GEN,
  HDR_SHUFFLE_IDLE,
  cpuOnlineIn,
  cpuWord,
  numOnlineCpusIn,
} from '../shm/layout.js';
import type { Executor } from './executor.js';
import { ringCpu, takeForwarded } from './doorbell.js';
import type { Task } from './task.js';

/** A waiter for a run token re-rings the holder this often (it may have gone idle meanwhile). */
const TOKEN_WAIT_SLICE_MS = 20;
/**
 * A holder with runnable work keeps a CPU this long before it hands it to a waiter (EEVDF's base
 * slice: 0.75 ms * (1 + ilog2(8 CPUs)) = 3 ms). Each handover costs a host thread wake-up, during
 * which the CPU runs nothing; handing over at every task switch made shared CPUs mostly idle.
 */
const TOKEN_SLICE_MS = 3;

export class RunTokens {
  readonly #rt: Executor;
  readonly #i32: Int32Array;
  readonly #nrCpus: number;
  /* sched.test_lost_token: lose every N-th token hand-off (0: never), and the hand-offs so far. */
  readonly #lostTokenEvery: number;
  #handoffs = 0;
  /** performance.now() when the held token was taken (its slice starts). */
  #sinceMs = 0;

  constructor(rt: Executor) {
    this.#rt = rt;
    this.#i32 = rt.i32;
    this.#nrCpus = Math.max(1, Atomics.load(rt.i32, HDR_NR_CPUS));
    this.#lostTokenEvery = test_lost_token.from(rt.config.bootParams);
  }

  /** Someone waits for the token we hold of `cpu`. Pairs with the ticket Atomics.add in take(). */
  waiters(cpu: number): boolean {
    return Atomics.load(this.#i32, cpuWord(cpu, CPU_TOKEN_NEXT)) - Atomics.load(this.#i32, cpuWord(cpu, CPU_TOKEN_SERVING)) > 1;
  }

  free(cpu: number): boolean {
    return Atomics.load(this.#i32, cpuWord(cpu, CPU_TOKEN_NEXT)) === Atomics.load(this.#i32, cpuWord(cpu, CPU_TOKEN_SERVING));
  }

  /** The held token's slice is over: a waiter gets it at this task switch. */
  sliceOver(): boolean {
    return performance.now() - this.#sinceMs >= TOKEN_SLICE_MS;
  }

  /** Take `cpu`'s token if it is free (no waiting). */
  tryTake(cpu: number): boolean {
    const s = Atomics.load(this.#i32, cpuWord(cpu, CPU_TOKEN_SERVING));
    if (Atomics.compareExchange(this.#i32, cpuWord(cpu, CPU_TOKEN_NEXT), s, s + 1) !== s) return false;
    this.#got(cpu);
    return true;
  }

  /**
   * Take a ticket for `cpu` and wait until it is served (FIFO behind the other waiters); the
   * holder lets go at its next task switch, or at once if it idles (we ring it). With `offline`
   * false, a token served after its CPU went offline is passed on at once: false, no CPU held.
   * The worker thread blocks meanwhile: it has no CPU to run anything on.
   */
  take(cpu: number, offline: boolean): boolean {
    const i32 = this.#i32;
    const id = this.#rt.id;
    const serving = cpuWord(cpu, CPU_TOKEN_SERVING);
    const my = Atomics.add(i32, cpuWord(cpu, CPU_TOKEN_NEXT), 1);
    // What we wait for, read by the run-token watchdog and hung-task reports (hang_detector.ts).
    Atomics.store(i32, cpuWord(id, EXEC_WAITS_FOR), ((my & 0x7fffff) << 8) | (cpu + 1));
    for (;;) {
      const s = Atomics.load(i32, serving);
      if (s === my) break;
      // Ring the holder after our ticket is visible: an idle holder re-checks for waiters after
      // it stored itself as holder and before it sleeps (CpuRuntime's #idle()), so one of the
      // two sees the other.
      const h = Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_HOLDER));
      if (h > 0) ringCpu(i32, h - 1);
      // Notifies a waker left us go out before we block (doorbell.ts, notifyBurst()).
      takeForwarded(i32, id);
      Atomics.wait(i32, serving, s, TOKEN_WAIT_SLICE_MS); // pairs with Atomics.add + notify in release()
    }
    Atomics.store(i32, cpuWord(id, EXEC_WAITS_FOR), 0);
    this.#got(cpu);
    if (!offline && !cpuOnlineIn(i32, cpu)) {
      this.release();
      return false;
    }
    return true;
  }

  #got(cpu: number): void {
    const rt = this.#rt;
    rt.cpu = cpu;
    this.#sinceMs = performance.now();
    // Pairs with the holder loads of take() (a waiter rings the holder) and Sleepers.sendIpi().
    Atomics.store(this.#i32, cpuWord(cpu, CPU_TOKEN_HOLDER), rt.id + 1);
    // The CPU was idle (its token free, or its last holder idled): it leaves its extended QS.
    // An offline CPU has none (its token is only passed on, or taken to bring it up).
    if (Atomics.load(this.#i32, cpuWord(cpu, CPU_IDLE)) === 1 && cpuOnlineIn(this.#i32, cpu)) {
      for (const h of rt.hooks) h.idleExit?.();
      Atomics.store(this.#i32, cpuWord(cpu, CPU_IDLE), 0);
    }
  }

  /** Give up the held token: to the next waiter, or the CPU goes idle (idleEnter() for it first). */
  release(): void {
    const rt = this.#rt;
    const cpu = rt.cpu;
    if (cpu < 0) return;
    const i32 = this.#i32;
    // Planted bug (sched.test_lost_token=N): every N-th hand-off to a waiter forgets to serve the
    // next ticket. The token is then free with waiters queued behind a ticket nobody serves: no
    // executor runs that CPU again, and only the run-token watchdog (hang_detector.ts) can say so.
    if (this.#lostTokenEvery > 0 && this.waiters(cpu) && ++this.#handoffs % this.#lostTokenEvery === 0) {
      Atomics.store(i32, cpuWord(cpu, CPU_CURR_PID), 0);
      Atomics.store(i32, cpuWord(cpu, CPU_TOKEN_HOLDER), 0);
      rt.cpu = -1;
      return;
    }
    if (!this.waiters(cpu) && Atomics.load(i32, cpuWord(cpu, CPU_IDLE)) === 0 && cpuOnlineIn(i32, cpu)) {
      Atomics.store(i32, cpuWord(cpu, CPU_IDLE), 1);
      for (const h of rt.hooks) h.idleEnter?.();
    }
    Atomics.store(i32, cpuWord(cpu, CPU_CURR_PID), 0);
    Atomics.store(i32, cpuWord(cpu, CPU_TOKEN_HOLDER), 0);
    rt.cpu = -1;
    const serving = cpuWord(cpu, CPU_TOKEN_SERVING);
    const served = Atomics.add(i32, serving, 1) + 1;
    // Notify only when a ticket beyond the one now served was taken (a notify costs microseconds;
    // most releases are an idle CPU's, with nobody waiting). A taker whose ticket add comes after
    // this load reads the new SERVING before it waits, so it waits on the new value or not at all.
    if (Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_NEXT)) - served > 0) Atomics.notify(i32, serving); // pairs with the Atomics.wait in take()
  }

  /**
   * The CPU shuffled tasks avoid, -1 for none; -2 when only one CPU is online: a task's affinity
   * could then hold no online CPU, and the kernel's select_fallback_rq() lets it run anywhere
   * (hotplug may take the other CPUs down after the shuffle chose). Task.allowedOn() reads it.
   * Pairs with the stores of setShuffleIdleCpu() below (generation first, then the CPU).
   */
  shuffleIdle(): number {
    const idle = Atomics.load(this.#i32, HDR_SHUFFLE_IDLE) - 1;
    // Without random_shuffle no task avoids anything while no CPU is idled (the usual case).
    if (idle < 0 && Atomics.load(this.#i32, HDR_SHUFFLE_GEN) === 0) return -1;
    return numOnlineCpusIn(this.#i32) > 1 ? idle : -2;
  }

  /**
   * select_task_rq(): the CPU `t` should run on next (null: any work of this executor). The home
   * CPU when allowed: an executor belongs there, and tasks stay where they are while they may (no
   * load balancing). Else the task's last CPU if it is ours or free, else the CPU we hold, else
   * the least loaded allowed CPU (spreads the executors of offline CPUs).
   * -1 when it may run nowhere now (bound to an offline CPU).
   */
  selectCpu(t: Task | null): number {
    const i32 = this.#i32;
    const { id, cpu: held } = this.#rt;
    const idle = this.shuffleIdle();
    const ok = (c: number): boolean => c >= 0 && cpuOnlineIn(i32, c) && (t === null || t.allowedOn(c, idle));
    if (t !== null && t.bound >= 0) return ok(t.bound) ? t.bound : -1;
    if (ok(id)) return id;
    if (t !== null && ok(t.cpu) && (t.cpu === held || this.free(t.cpu))) return t.cpu;
    if (held >= 0 && ok(held)) return held;
    // The least loaded allowed CPU: a free token first, then an idle holder (it lets go at once),
    // then the shortest queue; ties go to the first after home, which spreads homeless executors.
    let best = -1;
    let bestLoad = Infinity;
    for (let k = 1; k <= this.#nrCpus; k++) {
      const c = (id + k) % this.#nrCpus;
      if (!ok(c)) continue;
      const queued = Atomics.load(i32, cpuWord(c, CPU_TOKEN_NEXT)) - Atomics.load(i32, cpuWord(c, CPU_TOKEN_SERVING));
      const load = queued === 0 ? 0 : 2 * queued - (Atomics.load(i32, cpuWord(c, CPU_IDLE)) === 1 ? 1 : 0);
      if (load < bestLoad) {
        best = c;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    return best;
  }
}

/**
 * kapi.setShuffleIdleCpu(): the CPU shuffled tasks avoid from now on (-1: none). Read by every
 * executor at its task switches (RunTokens.shuffleIdle()); the generation first, so that a task
 * that sees the new idle CPU also sees that it is a new shuffle.
 */
export function setShuffleIdleCpu(i32: Int32Array, cpu: number, random: boolean): void {
  if (random) Atomics.add(i32, HDR_SHUFFLE_GEN, 1);
  else Atomics.store(i32, HDR_SHUFFLE_GEN, 0);
  Atomics.store(i32, HDR_SHUFFLE_IDLE, cpu + 1);
}
