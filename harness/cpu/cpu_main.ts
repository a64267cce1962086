/*
 * The CPU worker (entered through cpu_entry.ts): an executor of a guest (CPU `cpu`'s home, harness/cpu/README.md). It installs kapi, imports the suite's kernel
 * modules, calls their boot(cpu), meets the other CPUs at the boot barrier and runs the
 * scheduler until power-off. Console lines go to the guest's main thread by postMessage;
 * everything else is shared memory.
 *
 * An exception escaping a task is an Oops: printed with its stack, the task dies, the guest is
 * marked failed, the other tasks go on. One escaping an interrupt handler is fatal (panic).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { installKapi, type Kapi, type KernelConfig, type ShmRegion } from '../kapi.js';
import { HDR_BOOTED, HDR_FAILED, HDR_GO, HDR_LOCKDEP_ON, bootTimeView, goStamp, setCpuOnline } from '../shm/layout.js';
import { ShmAllocator } from '../shm/shm_alloc.js';
import { printkStamp } from '../lib/printk_time.js';
import type { CpuStart, FromCpu } from './protocol.js';
import { CpuRuntime } from './cpu_runtime.js';
import { KERNEL_BUILD, KERNEL_RELEASE, makeKapi } from './kapi_impl.js';
import type { LockdepValidator } from './lockdep_hooks.js';
import { captureKernelStack, kernelFrames } from './stack.js';
import { hungElsewhere, hungTaskReport, readTasks } from './hang_detector.js';
import { findHungStack, HUNG_STACKS_NAME, HUNG_STACKS_WORDS, hungStacksFull, publishHungStack } from './hung_stacks.js';
import type { Task } from './task.js';
import { might_resched_report, schedule_bug_report, type AtomicContext } from './sched_bug.js';
import { installLazySourceMaps } from './lazy_source_maps.js';

// Stack traces in .ts positions, each source map read at its first use (lazy_source_maps.ts).
installLazySourceMaps();

const start = workerData as CpuStart;
const port = parentPort;
if (port === null) throw new Error('cpu_main must run in a worker thread');

const { cpu, sab, spec } = start;
const i32 = new Int32Array(sab);
const bootMs = bootTimeView(sab)[0] ?? performance.now();

function post(m: FromCpu): void {
  port?.postMessage(m);
}

function printLines(lines: readonly string[]): void {
  const s = printkStamp(bootMs);
  post({ kind: 'printk', cpu, lines: lines.map((l) => `${s} ${l}`) });
}

const kconfig = new Map(Object.entries(spec.kconfig));
const config: KernelConfig = {
  kconfig,
  bootParams: new Map(Object.entries(spec.bootParams)),
  nrCpus: spec.nrCpus,
  preempt: kconfig.get('CONFIG_PREEMPT') === 'y',
};

let oopsCount = 0;

/** smp_processor_id() for reports: the CPU this executor runs on now (its home when it holds none). */
function thisCpu(): number {
  return rt.cpu >= 0 ? rt.cpu : cpu;
}

function taskLine(t: Task | null): string {
  const pid = t?.pid ?? 0;
  const c = thisCpu();
  const comm = t?.comm ?? `swapper/${c}`;
  return `CPU: ${c} PID: ${pid} Comm: ${comm} ${oopsCount > 0 ? 'Tainted: G      D' : 'Not tainted'} ${KERNEL_RELEASE} ${KERNEL_BUILD}`;
}

const rt: CpuRuntime = new CpuRuntime({
  i32,
  cpu,
  config,
  bootMs,
  oops(err: unknown, where: string, fatal: boolean): void {
    oopsCount++;
    const e = err instanceof Error ? err : new Error(String(err));
    const lines = [`BUG: unhandled exception in ${where}`, `Oops: ${e.name}: ${e.message} [#${oopsCount}] ${config.preempt ? 'PREEMPT ' : ''}SMP`];
    lines.push(taskLine(rt.current));
    lines.push('Call Trace:');
    for (const f of kernelFrames(e.stack ?? '')) lines.push(` ${f}`);
    if (fatal) lines.push('Kernel panic - not syncing: Fatal exception in interrupt');
    printLines(lines);
    Atomics.store(i32, HDR_FAILED, 1);
    post({ kind: 'oops', cpu: thisCpu(), reason: `${where}: ${e.name}: ${e.message}`, fatal });
  },
  schedBug(kind: 'atomic' | 'rcu', task: Task): void {
    if (kind === 'rcu') {
      const frames = captureKernelStack();
      // The sleeping call's caller: the frame that put the task to sleep inside the reader.
      const m = /\((.*):(\d+)\)$/.exec(frames[0] ?? '');
      if (config.preempt) {
        // Preemptible RCU tolerates it but warns (rcu_note_context_switch()).
        warn(`${m?.[1] ?? 'kernels/rcu'}:${m?.[2] ?? 0} rcu_note_context_switch`, 'Voluntary context switch within RCU read-side critical section!');
        noteFailure('voluntary context switch within RCU read-side critical section');
      } else if (validator !== null) {
        // With Tree RCU booted, its rcu_sleep_check() (kernels/rcu/rcupdate_lockdep.ts) has
        // reported it at its own site; a reader without RCU's maps (test kernels) is named here.
        if (rt.sleepCheck === null) kapiImpl.lockdep.rcuSuspicious(m?.[1] ?? 'unknown', Number(m?.[2] ?? 0), 'Illegal context switch in RCU read-side critical section');
      } else {
        printLines(['BUG: sleeping function called from invalid context (RCU read-side critical section)', taskLine(task), 'Call Trace:', ...frames.map((f) => ` ${f}`)]);
        noteFailure('illegal context switch in RCU read-side critical section');
      }
      return;
    }
    printLines(schedule_bug_report(atomicContext(task), task, validator?.showHeldLocks() ?? [], dumpStack(task, captureKernelStack())));
    noteFailure(`scheduling while atomic: ${task.comm}/${task.pid}`);
  },
  mightSleepBug(task: Task): void {
    // __might_resched() prints at most once a second (its prev_jiffy rate limit).
    const j = rt.jiffies();
    if (mightSleepPrevJ >= 0 && j < mightSleepPrevJ + 1000) return;
    mightSleepPrevJ = j;
    const frames = captureKernelStack();
    // frames[0] is the primitive that called might_sleep(); its file:line is the might_sleep() site.
    const site = /\((.*:\d+)\)$/.exec(frames[0] ?? '')?.[1] ?? 'unknown:0';
    const c = atomicContext(task);
    printLines(might_resched_report(site, c, task, config.preempt, validator?.showHeldLocks() ?? [], dumpStack(task, frames)));
    noteFailure(`sleeping function called from invalid context at ${site}`);
  },
  taskExit(task: Task): void {
    validator?.taskExit(task);
  },
  hungTasks(tasks: readonly Task[], nowJ: number, hungJ: number): void {
    let summary = `${tasks.length} hung task(s) on CPU ${cpu}`;
    try {
      const own = tasks.map((t) => ({ slot: t.slot, frames: sleepFrames(t) }));
      const r = hungStacks();
      const others = hungElsewhere(readTasks(i32), cpu, nowJ, hungJ).map((v) => ({ slot: v.slot, frames: (r === null ? null : findHungStack(r, v.slot, v.sleepSince)) ?? [] }));
      const report = hungTaskReport(i32, [...own, ...others], nowJ, `${KERNEL_RELEASE} ${KERNEL_BUILD}`);
      printLines(report.lines);
      summary = report.summary;
    } catch (err) {
      // The report is the only one the guest makes (HDR_HUNG_REPORTED is taken): it still ends.
      printLines([`INFO: ${summary}; the report failed: ${err instanceof Error ? err.message : String(err)}`, 'Kernel panic - not syncing: hung_task: blocked tasks']);
    }
    Atomics.store(i32, HDR_FAILED, 1);
    post({ kind: 'hung', cpu, summary });
  },
  publishHungTasks(tasks: readonly Task[]): void {
    const r = hungStacks();
    if (r === null) return;
    // Called at every pass of the gathering: the frames are parsed once per sleep, not per pass.
    for (const t of tasks) if (findHungStack(r, t.slot, t.sleepSinceJ) === null) publishHungStack(r, t.slot, t.sleepSinceJ, sleepFrames(t));
  },
  hungElsewhereUnpublished(nowJ: number, hungJ: number, soonJ: number): number {
    const r = hungStacks();
    if (r === null || hungStacksFull(r)) return 0;
    return hungElsewhere(readTasks(i32), cpu, nowJ, hungJ - soonJ).filter((v) => findHungStack(r, v.slot, v.sleepSince) === null).length;
  },
});

/** The kernel frames where a hung task sleeps (recorded by khungtaskd's probe). */
function sleepFrames(t: Task): string[] {
  return t.sleepSite === null ? [] : kernelFrames(t.sleepSite.stack ?? '');
}

let hungStacks_: ShmRegion | null | undefined;

/** The guest's table of hung tasks' stacks (hung_stacks.ts), allocated at the first hang; null if it cannot be. */
function hungStacks(): ShmRegion | null {
  if (hungStacks_ === undefined) {
    try {
      hungStacks_ = shm.alloc(HUNG_STACKS_NAME, HUNG_STACKS_WORDS);
    } catch {
      // A full guest heap: the report then has the other executors' hung tasks without stacks.
      hungStacks_ = null;
    }
  }
  return hungStacks_;
}

let mightSleepPrevJ = -1;

function atomicContext(task: Task): AtomicContext {
  return { preemptCount: rt.preemptCount, softirq: rt.softirqCount > 0, bhDisabled: rt.bhCount > 0, hardirq: rt.hardirqCount > 0, irqsDisabled: rt.irqsOff, rcuDepth: task.rcuDepth };
}

/** dump_stack(): the CPU line and the Call Trace. */
function dumpStack(task: Task | null, frames: readonly string[]): string[] {
  return [taskLine(task), 'Call Trace:', ...frames.map((f) => ` ${f}`)];
}

function noteFailure(reason: string): void {
  Atomics.store(i32, HDR_FAILED, 1);
  post({ kind: 'failure', cpu, reason });
}

function warn(where: string, msg: string | undefined): void {
  const t = rt.current;
  const lines = ['------------[ cut here ]------------'];
  if (msg !== undefined) lines.push(msg);
  lines.push(`WARNING: CPU: ${thisCpu()} PID: ${t?.pid ?? 0} at ${where}`);
  lines.push('Modules linked in:');
  lines.push(taskLine(t));
  lines.push('Call Trace:');
  // The trace starts at the function that warned: kernels/bug.ts's own frames are the WARN itself.
  for (const f of captureKernelStack()) if (!f.includes('(kernels/bug.ts:')) lines.push(` ${f}`);
  lines.push('---[ end trace 0000000000000000 ]---');
  printLines(lines);
  noteFailure(`WARNING: CPU: ${thisCpu()} PID: ${t?.pid ?? 0} at ${where}`);
}

const shm = new ShmAllocator(i32, start.heapBase, start.heapEnd);
const proveLocking = kconfig.get('CONFIG_PROVE_LOCKING') === 'y';
let validator: LockdepValidator | null = null;
let poweredOff = false;
let kapiImpl: Kapi;

/** How cpu_main() loads a boot module by URL: import(), or the CPU bundle's own copy (cpu_entry.ts). */
export type LoadModule = (url: string) => Promise<unknown>;

/**
 * The CPU from installing kapi to power-off (cpu_entry.ts calls it once): the module's top level
 * only builds the runtime, so that the same module serves as an ES module and inside the CPU
 * bundle, whose CommonJS form has no top-level await.
 */
export async function cpu_main(loadModule: LoadModule, afterBoot?: () => void): Promise<void> {
  if (proveLocking) {
    const { loadValidator } = await import('./lockdep_wiring.js');
    validator = await loadValidator({
      i32,
      base: start.lockdepBase,
      rt,
      print: printLines,
      onReport: (title: string) => noteFailure(`lockdep: ${title}`),
      kernelRelease: `${KERNEL_RELEASE} ${KERNEL_BUILD}`,
    });
    Atomics.store(i32, HDR_LOCKDEP_ON, 1);
  }

  kapiImpl = makeKapi({
    rt,
    shm,
    config,
    validator,
    printLines,
    warn,
    noteFailure,
    powerOff(): void {
      poweredOff = true;
      rt.powerOff();
      post({ kind: 'poweroff', cpu });
    },
  });
  installKapi(kapiImpl);

  // A pending Atomics.waitAsync does not keep a worker alive: hold the loop open ourselves.
  const keepAlive = setInterval(() => {}, 1 << 30);

  try {
    if (cpu === 0 && kconfig.get('CONFIG_DEBUG_LOCKING_API_SELFTESTS') === 'y') {
      // lib/locking-selftest.c at boot: the real validator on private regions, before any task.
      const { locking_selftest } = await import('../lockdep/selftest.js');
      const lines: string[] = [];
      const r = locking_selftest((l: string) => lines.push(l));
      printLines(lines);
      if (r.failed > 0) noteFailure(`locking API selftest: ${r.failed} unexpected failures`);
    }
    for (const url of start.modules) {
      const mod: unknown = await loadModule(url);
      const boot = (mod as { boot?: unknown }).boot;
      if (typeof boot === 'function') await (boot as (cpu: number) => unknown)(cpu);
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ kind: 'boot-error', cpu, reason: e.message });
    rt.oops(e, `boot of CPU ${cpu}`, true);
  }

  afterBoot?.();
  setCpuOnline(i32, cpu, true);
  // Boot barrier: every CPU has declared its classes, hooks and tasks before any task runs.
  Atomics.add(i32, HDR_BOOTED, 1);
  Atomics.notify(i32, HDR_BOOTED);
  for (;;) {
    const booted = Atomics.load(i32, HDR_BOOTED);
    if (booted >= spec.nrCpus) break;
    Atomics.wait(i32, HDR_BOOTED, booted, 100); // pairs with the add + notify above on other CPUs
  }
  if (cpu === 0) {
    Atomics.store(i32, HDR_GO, goStamp(bootMs));
    Atomics.notify(i32, HDR_GO);
  }
  while (Atomics.load(i32, HDR_GO) === 0) Atomics.wait(i32, HDR_GO, 0, 100);

  await rt.run(() => poweredOff);
  clearInterval(keepAlive);
}
