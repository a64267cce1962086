/*
 * CPU hotplug of an executor's home CPU (kernel/cpu.c take_cpu_down(), sched_cpu_dying(),
 * smpboot's kthread_park()), and the control side that asks for it (kapi parkCpu/unparkCpu).
 * harness/cpu/README.md ("Offline", "Online") says what moves and what waits. Its own class
 * because it owns the AP callbacks, the dead flag and the tasks parked while their bound CPU is
 * offline; the runqueue they leave and rejoin is the runtime's.
 */

import { CPU_CMD, CPU_CMDS, CPU_HP_WQ, CPU_ST, CPU_STATE, cpuWord, setCpuOnline } from '../shm/layout.js';
import type { Executor } from './executor.js';
import { ringCpu } from './doorbell.js';
import type { Task } from './task.js';

interface ApCallback {
  readonly name: string;
  readonly fn: () => void;
}

export class Hotplug {
  readonly #rt: Executor;
  #apTeardown: ApCallback[] = [];
  #apStartup: ApCallback[] = [];
  /** The home CPU is offline (this executor took it down). */
  #dead = false;
  /** Tasks bound to an offline CPU (kthread_park()): runnable again when it is back. */
  #frozen: Task[] = [];

  constructor(rt: Executor) {
    this.#rt = rt;
  }

  registerApCallbacks(name: string, teardown: (() => void) | null, startup: (() => void) | null): void {
    if (teardown) this.#apTeardown.push({ name, fn: teardown });
    if (startup) this.#apStartup.push({ name, fn: startup });
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** kthread_park() of a task bound to an offline CPU. */
  freeze(t: Task): void {
    t.setSharedState('frozen');
    this.#frozen.push(t);
  }

  /** A hotplug command for our home CPU: carried out here, between tasks. */
  handleCommand(): void {
    const rt = this.#rt;
    const slot = cpuWord(rt.id, CPU_CMD);
    const cmd = Atomics.load(rt.i32, slot);
    if (cmd === CPU_CMDS.none) return;
    if (cmd === CPU_CMDS.park && !this.#dead) {
      Atomics.store(rt.i32, cpuWord(rt.id, CPU_STATE), CPU_ST.dying);
      if (rt.cpu !== rt.id) {
        rt.tokens.release();
        rt.tokens.take(rt.id, true);
      }
      this.#park();
    } else if (cmd === CPU_CMDS.unpark && this.#dead) {
      rt.tokens.release();
      rt.tokens.take(rt.id, true);
      this.#unpark();
    } else {
      Atomics.store(rt.i32, slot, CPU_CMDS.none);
    }
  }

  /** take_cpu_down() + sched_cpu_dying() on our home CPU, whose token we hold. */
  #park(): void {
    const rt = this.#rt;
    const cpu = rt.id;
    rt.irqsOff = true;
    try {
      // AP teardown callbacks run in reverse registration (state) order, on this CPU.
      for (let k = this.#apTeardown.length - 1; k >= 0; k--) this.#apTeardown[k]?.fn();
    } catch (err) {
      rt.oops(err, 'cpuhp_ap_teardown', true);
    } finally {
      rt.irqsOff = false;
    }
    this.#dead = true;
    setCpuOnline(rt.i32, cpu, false);
    // kthread_park() of the tasks bound here; every other task moves on at its next switch.
    const keep: Task[] = [];
    for (const t of rt.runqueue) {
      if (t.bound === cpu) this.freeze(t);
      else keep.push(t);
    }
    rt.runqueue = keep;
    Atomics.store(rt.i32, cpuWord(cpu, CPU_CMD), CPU_CMDS.none);
    // Retire the token: offline, so waiters pass it on (RunTokens.take()).
    rt.tokens.release();
    // State store, then wake the control CPU sleeping on our CPU_HP_WQ (pairs with parkCpu()'s
    // waitEvent condition load).
    Atomics.store(rt.i32, cpuWord(cpu, CPU_STATE), CPU_ST.dead);
    rt.sleepers.wakeUp({ i32: rt.i32, index: cpuWord(cpu, CPU_HP_WQ) });
  }

  /** Our home CPU comes back: its token is ours again (taken by handleCommand()). */
  #unpark(): void {
    const rt = this.#rt;
    const cpu = rt.id;
    rt.irqsOff = true;
    try {
      for (const cb of this.#apStartup) cb.fn();
    } catch (err) {
      rt.oops(err, 'cpuhp_ap_startup', true);
    } finally {
      rt.irqsOff = false;
    }
    this.#dead = false;
    Atomics.store(rt.i32, cpuWord(cpu, CPU_CMD), CPU_CMDS.none);
    setCpuOnline(rt.i32, cpu, true);
    for (const t of this.#frozen) {
      t.setSharedState('runnable');
      rt.runqueue.push(t);
    }
    this.#frozen = [];
    rt.selfPoll = true;
    // Pairs with unparkCpu()'s waitEvent condition load, as in #park().
    Atomics.store(rt.i32, cpuWord(cpu, CPU_STATE), CPU_ST.online);
    rt.sleepers.wakeUp({ i32: rt.i32, index: cpuWord(cpu, CPU_HP_WQ) });
  }
}

/** The control side of `cpu`'s hotplug: set its command, ring its home executor, sleep until `state`. */
async function cpuCommand(rt: Executor, cpu: number, cmd: number, state: number): Promise<void> {
  const i32 = rt.i32;
  Atomics.store(i32, cpuWord(cpu, CPU_CMD), cmd);
  ringCpu(i32, cpu);
  const wq = { i32, index: cpuWord(cpu, CPU_HP_WQ) };
  // Pairs with the CPU_STATE store + wakeUp in Hotplug's #park() and #unpark().
  await rt.sleepers.waitEvent(wq, () => Atomics.load(i32, cpuWord(cpu, CPU_STATE)) === state);
}

/** kapi.parkCpu(): take `cpu` down (its home executor runs take_cpu_down()); returns once it is dead. */
export function parkCpu(rt: Executor, cpu: number): Promise<void> {
  return cpuCommand(rt, cpu, CPU_CMDS.park, CPU_ST.dead);
}

/** kapi.unparkCpu(): bring `cpu` back; returns once it is online. */
export function unparkCpu(rt: Executor, cpu: number): Promise<void> {
  return cpuCommand(rt, cpu, CPU_CMDS.unpark, CPU_ST.online);
}
