/*
 * Hang reports over the task slots and per-CPU heartbeats in shared memory. It never touches a
 * lock: it only reads what the CPUs mirror (harness/cpu/task.ts), so it works however wedged the
 * CPUs are.
 *
 * Two users. Each executor runs khungtaskd over its own sleepers (harness/cpu/khungtaskd.ts: a task
 * in an uninterruptible sleep longer than hung_task_timeout_secs) and prints hungTaskReport(),
 * which has the sleeper's stack. The guest main thread (the "machine") runs HangDetector, the
 * soft-lockup watchdog: a CPU whose heartbeat has not moved for 2 * watchdog_thresh seconds
 * while it is online and not idle (a task spinning without end, a worker stuck in pv_wait()
 * after a lost kick). A spinning task is TASK_RUNNING, never a hung task. Reports are in the kernel's
 * shapes (`INFO: task comm:pid blocked for more than N seconds.`, sched_show_task()'s line,
 * `Showing all locks held in the system:`, `watchdog: BUG: soft lockup - CPU#N stuck for Ns!`)
 * plus our lines saying who holds a lock a task waits for. Its pieces (the task line, a lock wait,
 * the held locks, pv_wait(), the run tokens) are shared with show_state.ts, the sysrq-t dump.
 */

import {
  CPU_HEARTBEAT,
  CPU_HEARTBEAT_J,
  CPU_IDLE,
  CPU_PV_WAIT_ADDR,
  CPU_PV_WAIT_SINCE,
  CPU_ST,
  CPU_STATE,
  CPU_TOKEN_HOLDER,
  CPU_TOKEN_NEXT,
  CPU_TOKEN_SERVING,
  EXEC_WAITS_FOR,
  HDR_GO,
  HDR_NEXT_TASK_SLOT,
  HDR_NR_CPUS,
  MAX_TASKS,
  cpuOnlineIn,
  TASK_CPU,
  TASK_DEPTH,
  TASK_EXECUTOR,
  TASK_HELD,
  TASK_HELD_MAX,
  TASK_PID,
  TASK_SLEEP_SINCE,
  TASK_ST,
  TASK_STATE,
  TASK_STOP_WAIT,
  TASK_WAIT_ADDR,
  TASK_WAIT_SINCE,
  cpuWord,
  readComm,
  taskWord,
} from '../shm/layout.js';
import { symbolize } from '../shm/shm_alloc.js';
import { lock_owner_decode } from '../../kernels/locking/lock_owner.js';

export interface HangFinding {
  readonly kind: 'hang' | 'soft-lockup';
  readonly lines: readonly string[];
  readonly summary: string;
}

function lockName(i32: Int32Array, addrPlus1: number): string {
  const addr = addrPlus1 - 1;
  const sym = symbolize(i32, addr >> 2);
  const hex = (0xffffffff80000000n + BigInt(addr)).toString(16);
  if (sym === null) return `${hex} (<unknown lock>)`;
  return `${hex} (${sym.name}${sym.offset > 0 ? `+${sym.offset * 4}` : ''})`;
}

/** One task slot as the CPUs mirror it (harness/cpu/task.ts). */
export interface TaskView {
  slot: number;
  pid: number;
  cpu: number;
  comm: string;
  state: number;
  waitAddr: number;
  waitSince: number;
  sleepSince: number;
  held: number[];
  depth: number;
  executor: number;
  /** pid of the kthread this task waits for in kthread_stop(), 0 when none. */
  stopWait: number;
}

/** The live task slots, read without a lock (a value may be one update stale). */
export function readTasks(i32: Int32Array): TaskView[] {
  const n = Math.min(Atomics.load(i32, HDR_NEXT_TASK_SLOT), MAX_TASKS);
  const out: TaskView[] = [];
  for (let s = 0; s < n; s++) {
    const state = Atomics.load(i32, taskWord(s, TASK_STATE));
    if (state === TASK_ST.free || state === TASK_ST.exited) continue;
    const depth = Atomics.load(i32, taskWord(s, TASK_DEPTH));
    const held: number[] = [];
    for (let k = 0; k < Math.min(depth, TASK_HELD_MAX); k++) {
      const a = Atomics.load(i32, taskWord(s, TASK_HELD + k));
      if (a !== 0) held.push(a);
    }
    out.push({
      slot: s,
      pid: Atomics.load(i32, taskWord(s, TASK_PID)),
      cpu: Atomics.load(i32, taskWord(s, TASK_CPU)),
      comm: readComm(i32, s),
      state,
      waitAddr: Atomics.load(i32, taskWord(s, TASK_WAIT_ADDR)),
      waitSince: Atomics.load(i32, taskWord(s, TASK_WAIT_SINCE)),
      sleepSince: Atomics.load(i32, taskWord(s, TASK_SLEEP_SINCE)),
      held,
      depth,
      executor: Atomics.load(i32, taskWord(s, TASK_EXECUTOR)),
      stopWait: Atomics.load(i32, taskWord(s, TASK_STOP_WAIT)),
    });
  }
  return out;
}

/** A hung task as its CPU saw it: the slot, and the kernel frames where it sleeps. */
export interface HungTask {
  readonly slot: number;
  readonly frames: readonly string[];
}

function stateChar(st: number): string {
  return st === TASK_ST.running || st === TASK_ST.runnable ? 'R' : st === TASK_ST.blocked ? 'D' : st === TASK_ST.sleeping ? 'S' : st === TASK_ST.frozen ? 'D' : 'X';
}

/** sched_show_task()'s first line. */
export function schedShowTaskLine(t: TaskView): string {
  return `task:${t.comm.padEnd(15)} state:${stateChar(t.state)} stack:0     pid:${String(t.pid).padEnd(5)} tgid:${String(t.pid).padEnd(5)} ppid:2      flags:0x00004000`;
}

/** Tasks of executors other than `executor` asleep uninterruptibly (`D`) for `hungJ` jiffies or more at `nowJ`. */
export function hungElsewhere(all: readonly TaskView[], executor: number, nowJ: number, hungJ: number): TaskView[] {
  return all.filter((t) => t.executor !== executor && t.state === TASK_ST.blocked && nowJ - t.sleepSince >= hungJ);
}

/** Whether a task is in an uninterruptible sleep (`D`): the state hung tasks are found in. */
export function isUninterruptible(t: TaskView): boolean {
  return stateChar(t.state) === 'D';
}

/** What a task waits for, and who holds it (our addition to sched_show_task()); its one-line summary goes to `summaries`. */
export function lockWaitLines(i32: Int32Array, all: readonly TaskView[], t: TaskView, nowJ: number, summaries: string[]): string[] {
  if (t.waitAddr === 0) return [];
  const lines = [` waiting ${Math.floor((nowJ - t.waitSince) / 1000)}s for lock: ${lockName(i32, t.waitAddr)}`];
  // lock_acquire() runs before a task waits, so waiters list the lock as held too: a holder
  // is a task that has it in its held list and is not itself waiting for it.
  const holders = all.filter((o) => o.held.includes(t.waitAddr) && o.waitAddr !== t.waitAddr);
  const waiters = all.filter((o) => o.waitAddr === t.waitAddr && o !== t);
  if (holders.length === 0) {
    lines.push(' held by: no task (nobody holds it: a lost wake-up, or an owner that died)');
    summaries.push(`${t.comm}/${t.pid} waits for ${lockName(i32, t.waitAddr)} held by no task`);
  } else {
    for (const h of holders) {
      const hs = h.state === TASK_ST.frozen ? 'frozen (CPU offline)' : h.state === TASK_ST.blocked || h.state === TASK_ST.sleeping ? 'blocked' : h.state === TASK_ST.running ? 'running' : 'runnable';
      const waits = h.waitAddr !== 0 ? `, itself waiting for ${lockName(i32, h.waitAddr)}` : '';
      // Which executor (worker thread) runs it, when that is not the CPU's own.
      const exe = h.executor !== h.cpu ? ` [executor ${h.executor}]` : '';
      lines.push(` held by: ${h.comm}/${h.pid} on CPU ${h.cpu} (${hs}${waits})${exe}`);
    }
    summaries.push(`${t.comm}/${t.pid} waits for ${lockName(i32, t.waitAddr)} held by ${holders.map((h) => `${h.comm}/${h.pid}`).join(', ')}`);
  }
  if (waiters.length > 0) lines.push(` also waiting: ${waiters.map((w) => `${w.comm}/${w.pid}`).join(', ')}`);
  return lines;
}

/**
 * Whom a task waits for in kthread_stop() (our addition, as the lock-wait lines): the kthread that
 * does not exit, its state, and what it waits for and who holds that. Its summary goes to `summaries`.
 */
export function kthreadStopLines(i32: Int32Array, all: readonly TaskView[], t: TaskView, nowJ: number, summaries: string[]): string[] {
  if (t.stopWait === 0) return [];
  const k = all.find((o) => o.pid === t.stopWait);
  if (k === undefined) {
    summaries.push(`${t.comm}/${t.pid} waits in kthread_stop() for pid ${t.stopWait}`);
    return [` waiting in kthread_stop() for pid ${t.stopWait} to exit`];
  }
  const lines = [` waiting in kthread_stop() for ${k.comm}/${k.pid} to exit; it has not:`, ` ${schedShowTaskLine(k)}`];
  const inner: string[] = [];
  const waits = lockWaitLines(i32, all, k, nowJ, inner);
  lines.push(...waits.map((l) => ` ${l}`));
  const what = inner[0] ?? `${k.comm}/${k.pid} ${isUninterruptible(k) || k.state === TASK_ST.sleeping ? 'asleep' : 'running'} since it was told to stop`;
  summaries.push(`${t.comm}/${t.pid} waits in kthread_stop() for ${k.comm}/${k.pid}: ${what}`);
  return lines;
}

/** debug_show_all_locks(). */
export function heldLocksLines(i32: Int32Array, all: readonly TaskView[]): string[] {
  const lines = ['', 'Showing all locks held in the system:'];
  for (const t of all) {
    if (t.depth === 0) continue;
    lines.push(`${t.depth} lock${t.depth === 1 ? '' : 's'} held by ${t.comm}/${t.pid}:`);
    t.held.forEach((a, k) => lines.push(` #${k}: ${lockName(i32, a)}${a === t.waitAddr ? ' (waiting to acquire)' : ''}`));
  }
  lines.push('');
  lines.push('=============================================');
  return lines;
}

/**
 * The spinlock a CPU sits on in pv_wait(), and who holds it (our addition to the soft-lockup
 * report); nothing when it is not in pv_wait(). Its one-line summary goes to `summaries`.
 */
export function pvWaitLines(i32: Int32Array, tasks: readonly TaskView[], cpu: number, nowJ: number, summaries: string[]): string[] {
  const pvAddr = Atomics.load(i32, cpuWord(cpu, CPU_PV_WAIT_ADDR));
  if (pvAddr === 0) return [];
  const pvSince = Atomics.load(i32, cpuWord(cpu, CPU_PV_WAIT_SINCE));
  const secs = Math.floor((nowJ - pvSince) / 1000);
  const lines = [` halted in pv_wait() for ${secs}s on spinlock ${lockName(i32, pvAddr)}`];
  // The lock word names its owner (lock_owner.ts), even one interrupted inside its unlock.
  const owner = lock_owner_decode(Atomics.load(i32, (pvAddr - 1) >> 2));
  let holder = 'no task';
  if (owner === null) lines.push(' held by: no task (it was released without kicking this CPU: a lost pv_kick())');
  else {
    const h = tasks.find((o) => o.pid === owner.pid && owner.pid !== 0);
    holder = `${h ? `${h.comm}/${h.pid}` : owner.pid === 0 ? 'interrupt context' : `pid ${owner.pid}`} on CPU ${owner.cpu}`;
    lines.push(` held by: ${holder}`);
  }
  summaries.push(`CPU#${cpu} halted in pv_wait() for ${secs}s on spinlock ${lockName(i32, pvAddr)} held by ${holder}`);
  return lines;
}

/**
 * Who runs where (harness/cpu/README.md, "Executors and run tokens"): the CPUs whose run token is
 * held by another executor than their home one, or waited for. Nothing when every CPU runs its
 * own executor: the report then reads as the kernel's.
 */
export function runTokenLines(i32: Int32Array): string[] {
  const lines: string[] = [];
  const nr = Atomics.load(i32, HDR_NR_CPUS);
  for (let cpu = 0; cpu < nr; cpu++) {
    const holder = Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_HOLDER)) - 1;
    const waiting = Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_NEXT)) - Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_SERVING)) - 1;
    if ((holder < 0 || holder === cpu) && waiting <= 0) continue;
    const who = holder < 0 ? 'free' : `held by executor ${holder}`;
    const waiters: string[] = [];
    for (let e = 0; e < nr; e++) {
      const v = Atomics.load(i32, cpuWord(e, EXEC_WAITS_FOR));
      if ((v & 0xff) === cpu + 1) waiters.push(`${e}#${v >>> 8}`);
    }
    const tickets = `serving ${Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_SERVING))} next ${Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_NEXT))}`;
    const w = waiting > 0 ? `, ${waiting} waiting (executor${waiters.length === 1 ? '' : 's'} ${waiters.join(' ')}; ${tickets})` : '';
    lines.push(` CPU ${cpu}${cpuOnlineIn(i32, cpu) ? '' : ' (offline)'}: run token ${who}${w}`);
  }
  return lines.length === 0 ? [] : ['Run tokens:', ...lines, ''];
}

/**
 * check_hung_task() for each of `hung`, in pid order (the kernel walks the task list) +
 * debug_show_all_locks() + the hung_task_panic line: the report khungtaskd prints. Runs on the
 * CPU that found hung tasks of its own; the stacks of the others are as their CPUs published them
 * (hung_stacks.ts).
 */
export function hungTaskReport(i32: Int32Array, hung: readonly HungTask[], nowJ: number, release: string): HangFinding {
  const all = readTasks(i32);
  const lines: string[] = [];
  const summaries: string[] = [];
  const found = hung.flatMap((h) => {
    const t = all.find((o) => o.slot === h.slot);
    return t === undefined ? [] : [{ h, t }];
  });
  found.sort((a, b) => a.t.pid - b.t.pid);
  for (const { h, t } of found) {
    const secs = Math.floor((nowJ - t.sleepSince) / 1000);
    lines.push(`INFO: task ${t.comm}:${t.pid} blocked for more than ${secs} seconds.`);
    lines.push(`      Not tainted ${release}`);
    lines.push('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
    lines.push(schedShowTaskLine(t));
    const waitLines = [...lockWaitLines(i32, all, t, nowJ, summaries), ...kthreadStopLines(i32, all, t, nowJ, summaries)];
    if (waitLines.length === 0) summaries.push(`${t.comm}/${t.pid} blocked for ${secs}s in ${h.frames[0] ?? 'an uninterruptible sleep'}`);
    lines.push('Call Trace:', ' <TASK>', ...h.frames.map((f) => ` ${f}`), ' </TASK>');
    lines.push(...waitLines);
  }
  lines.push(...heldLocksLines(i32, all));
  lines.push(...runTokenLines(i32));
  lines.push('Kernel panic - not syncing: hung_task: blocked tasks');
  return { kind: 'hang', lines, summary: summaries.join('; ') };
}

export class HangDetector {
  readonly #i32: Int32Array;
  readonly #nrCpus: number;
  readonly #lockupJ: number;
  #lastBeat: number[] = [];
  #lastServing: number[] = [];
  #lastServingChangeJ: number[] = [];
  #lastBeatChangeJ: number[] = [];

  /** `watchdogThresh`: the kernel's watchdog_thresh (s); a soft lockup is 2 * that without progress. */
  readonly release: string;

  constructor(i32: Int32Array, nrCpus: number, watchdogThresh: number, release: string) {
    this.release = release;
    this.#i32 = i32;
    this.#nrCpus = nrCpus;
    this.#lockupJ = 2 * watchdogThresh * 1000;
  }

  /** One scan; `nowJ` is the guest's jiffies. Returns a finding or null. */
  scan(nowJ: number): HangFinding | null {
    const i32 = this.#i32;
    // The watchdog starts once SMP boot is done (lockup_detector_init() after smp_init()): a CPU
    // at the boot barrier waits there, without heartbeat, for the slowest CPU's initcalls, which
    // with 100 CPUs on 2 host cores take tens of seconds. A boot that never ends is the driver's
    // timeout to report.
    if (Atomics.load(i32, HDR_GO) === 0) return null;
    const tasks = readTasks(i32);
    for (let cpu = 0; cpu < this.#nrCpus; cpu++) {
      const beat = Atomics.load(i32, cpuWord(cpu, CPU_HEARTBEAT));
      if (this.#lastBeat[cpu] !== beat) {
        this.#lastBeat[cpu] = beat;
        this.#lastBeatChangeJ[cpu] = nowJ;
        continue;
      }
      // A CPU whose token nobody holds runs nothing: if executors wait for it, the run-token
      // check below says why; if not, the CPU is idle.
      if (Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_HOLDER)) === 0) continue;
      // A dying CPU still runs (its tasks finish their critical sections): watched as well.
      const st = Atomics.load(i32, cpuWord(cpu, CPU_STATE));
      const online = st === CPU_ST.online || st === CPU_ST.dying;
      const idle = Atomics.load(i32, cpuWord(cpu, CPU_IDLE)) === 1;
      const since = this.#lastBeatChangeJ[cpu] ?? nowJ;
      if (online && !idle && nowJ - since > this.#lockupJ) {
        const hbJ = Atomics.load(i32, cpuWord(cpu, CPU_HEARTBEAT_J));
        const running = tasks.find((t) => t.cpu === cpu && t.state === TASK_ST.running);
        const who = running ? `${running.comm}:${running.pid}` : `swapper/${cpu}:0`;
        const secs = Math.floor((nowJ - Math.min(since, hbJ || since)) / 1000);
        const lines = [
          `watchdog: BUG: soft lockup - CPU#${cpu} stuck for ${secs}s! [${who}]`,
          'Modules linked in:',
          `CPU: ${cpu} PID: ${running?.pid ?? 0} Comm: ${running?.comm ?? `swapper/${cpu}`} Not tainted ${this.release}`,
        ];
        lines.push(...pvWaitLines(i32, tasks, cpu, nowJ, []));
        lines.push(...heldLocksLines(i32, tasks));
        lines.push('Kernel panic - not syncing: softlockup: hung tasks');
        return { kind: 'soft-lockup', lines, summary: `soft lockup on CPU#${cpu} [${who}]` };
      }
    }
    // A free run token that waiters wait for and that does not move: served to an executor that
    // never takes it, so no CPU runs anything there, and no CPU's heartbeat or khungtaskd can say
    // so (the executors that would are the waiters). A held one is a CPU: the soft-lockup check above.
    for (let cpu = 0; cpu < this.#nrCpus; cpu++) {
      const serving = Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_SERVING));
      const waiting = Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_NEXT)) - serving > 1 && Atomics.load(i32, cpuWord(cpu, CPU_TOKEN_HOLDER)) === 0;
      if (!waiting || this.#lastServing[cpu] !== serving) {
        this.#lastServing[cpu] = serving;
        this.#lastServingChangeJ[cpu] = nowJ;
        continue;
      }
      const since = this.#lastServingChangeJ[cpu] ?? nowJ;
      if (nowJ - since <= this.#lockupJ) continue;
      const secs = Math.floor((nowJ - since) / 1000);
      const lines = [
        `watchdog: BUG: run token of CPU#${cpu} stuck for ${secs}s!`,
        ...runTokenLines(i32),
        ...heldLocksLines(i32, tasks),
        'Kernel panic - not syncing: softlockup: hung tasks',
      ];
      return { kind: 'soft-lockup', lines, summary: `run token of CPU#${cpu} stuck for ${secs}s` };
    }
    return null;
  }
}
