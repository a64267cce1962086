/*
 * A CPU outside a guest process: the same CpuRuntime and kapi, attached to a shared machine
 * that the caller creates and hands to its own worker threads. For benchmarks and unit tests of
 * kernel code (locks) that want real threads and real kapi without booting a torture suite.
 *
 *   main:    const sab = createMachine({ nrCpus: 4, proveLocking: false })
 *   worker:  const cpu = await attachCpu(sab, cpuId, { nrCpus: 4 }); await cpu.run(async () => { ... })
 *
 * run() executes `fn` as a task on this CPU's scheduler and returns its result; other tasks may
 * be added with cpu.kapi.kthreadRun() before or during it.
 */

import { installKapi, type Kapi, type KernelConfig } from '../kapi.js';
import {
  CPU_ST,
  CPU_STATE,
  GUEST_MAGIC,
  HDR_MAGIC,
  HDR_NEXT_PID,
  HDR_NR_CPUS,
  HDR_WAKE_SEQ_BASE,
  HDR_LOCKSTAT_BASE,
  LOCKDEP_BASE,
  bootTimeView,
  setCpuOnline,
  cpuWord,
  guestLayout,
} from '../shm/layout.js';
import { ShmAllocator } from '../shm/shm_alloc.js';
import { CpuRuntime } from './cpu_runtime.js';
import { ringCpu } from './doorbell.js';
import { makeKapi } from './kapi_impl.js';
import type { LockdepValidator } from './lockdep_hooks.js';

export interface MachineOptions {
  readonly nrCpus: number;
  /** Words reserved for lockdep (LOCKDEP_SHM_WORDS when lockdep will be used). */
  readonly lockdepWords?: number;
  /** CONFIG_LOCK_STAT=y: a lock_stat region, which every attached CPU's lockdep hooks feed. */
  readonly lockStat?: boolean;
}

export function createMachine(o: MachineOptions): SharedArrayBuffer {
  const layout = guestLayout(o.lockdepWords ?? 0, o.nrCpus, o.lockStat === true);
  const sab = new SharedArrayBuffer(layout.totalWords * 4);
  const i32 = new Int32Array(sab);
  bootTimeView(sab)[0] = performance.now();
  Atomics.store(i32, HDR_NR_CPUS, o.nrCpus);
  Atomics.store(i32, HDR_WAKE_SEQ_BASE, layout.wakeSeqBase);
  Atomics.store(i32, HDR_LOCKSTAT_BASE, layout.lockStatBase);
  Atomics.store(i32, HDR_NEXT_PID, 2);
  for (let c = 0; c < o.nrCpus; c++) Atomics.store(i32, cpuWord(c, CPU_STATE), CPU_ST.online);
  for (let c = 0; c < o.nrCpus; c++) setCpuOnline(i32, c, true);
  Atomics.store(i32, HDR_MAGIC, GUEST_MAGIC);
  return sab;
}

export interface AttachOptions {
  readonly nrCpus: number;
  readonly lockdepWords?: number;
  readonly kconfig?: Record<string, string>;
  readonly bootParams?: Record<string, string>;
  /** Console sink; default: stdout. */
  readonly print?: (lines: readonly string[]) => void;
  /** Validator to install (lockdep on); null for lockdep off. */
  readonly validator?: (rt: CpuRuntime) => LockdepValidator | null;
}

export interface StandaloneCpu {
  readonly kapi: Kapi;
  readonly rt: CpuRuntime;
  /** Run fn as a task on this CPU; resolves with its result. */
  run<T>(fn: () => Promise<T>, comm?: string): Promise<T>;
}

export function attachCpu(sab: SharedArrayBuffer, cpu: number, o: AttachOptions): StandaloneCpu {
  const i32 = new Int32Array(sab);
  // The machine's layout: with a lock_stat region (createMachine's lockStat) the heap starts after it.
  const layout = guestLayout(o.lockdepWords ?? 0, o.nrCpus, Atomics.load(i32, HDR_LOCKSTAT_BASE) !== 0);
  const kconfig = new Map(Object.entries(o.kconfig ?? {}));
  const config: KernelConfig = {
    kconfig,
    bootParams: new Map(Object.entries(o.bootParams ?? {})),
    nrCpus: o.nrCpus,
    preempt: kconfig.get('CONFIG_PREEMPT') === 'y',
  };
  const print = o.print ?? ((lines: readonly string[]) => process.stdout.write(lines.join('\n') + '\n'));
  const rt: CpuRuntime = new CpuRuntime({
    i32,
    cpu,
    config,
    bootMs: bootTimeView(sab)[0] ?? 0,
    oops(err: unknown, where: string): void {
      print([`Oops in ${where}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`]);
    },
    schedBug(kind: 'atomic' | 'rcu', task): void {
      print([`BUG: ${kind === 'atomic' ? 'scheduling while atomic' : 'sleeping in RCU reader'}: ${task.comm}/${task.pid}`]);
    },
    mightSleepBug(task): void {
      print([`BUG: sleeping function called from invalid context: ${task.comm}/${task.pid}`]);
    },
    taskExit(): void {},
    hungTasks(tasks): void {
      print(tasks.map((t) => `INFO: task ${t.comm}:${t.pid} blocked for more than ${Math.floor((rt.jiffies() - t.sleepSinceJ) / 1000)} seconds.`));
    },
    // A standalone CPU (the bench) is alone: nothing to publish or gather.
    publishHungTasks(): void {},
    hungElsewhereUnpublished(): number {
      return 0;
    },
  });
  const validator = o.validator?.(rt) ?? null;
  const kapi = makeKapi({
    rt,
    shm: new ShmAllocator(i32, layout.heapBase, layout.heapEnd),
    config,
    validator,
    printLines: print,
    warn: (where: string, msg: string | undefined) => print([`WARNING: at ${where}${msg ? `: ${msg}` : ''}`]),
    noteFailure: (reason: string) => print([`failure: ${reason}`]),
    powerOff: () => rt.powerOff(),
  });
  installKapi(kapi);
  return {
    kapi,
    rt,
    async run<T>(fn: () => Promise<T>, comm = 'bench'): Promise<T> {
      let done = false;
      let value: T | undefined;
      let error: unknown = null;
      rt.kthreadRun(async () => {
        try {
          value = await fn();
        } catch (e) {
          error = e;
        }
        done = true;
        ringCpu(i32, cpu);
      }, comm);
      await rt.run(() => done);
      if (error !== null) throw error;
      return value as T;
    },
  };
}

export { LOCKDEP_BASE };
