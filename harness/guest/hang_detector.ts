/*
 * The guest's khungtaskd and soft-lockup watchdog, run by the guest main thread (the "machine")
 * over the task slots and per-CPU heartbeats in shared memory. It never touches a lock: it only
 * reads what the CPUs mirror (harness/cpu/task.ts), so it works however wedged the CPUs are.
 *
 * A task that has waited for one lock longer than hung_task_timeout_secs is a hang; the report
 * says who waits for what and who holds it (kernel shape: `INFO: task comm:pid blocked for more
 * than N seconds.` and `Showing all locks held in the system:`). A CPU whose heartbeat has not
 * moved for the soft-lockup threshold while it is online and not idle is a soft lockup.
 */

import {
  CPU_HEARTBEAT,
  CPU_HEARTBEAT_J,
  CPU_IDLE,
  CPU_ST,
  CPU_STATE,
  HDR_NEXT_TASK_SLOT,
  MAX_TASKS,
  TASK_CPU,
  TASK_DEPTH,
  TASK_HELD,
  TASK_HELD_MAX,
  TASK_PID,
  TASK_ST,
  TASK_STATE,
  TASK_WAIT_ADDR,
  TASK_WAIT_SINCE,
  cpuWord,
  readComm,
  taskWord,
} from '../shm/layout.js';
import { symbolize } from '../shm/shm_alloc.js';

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

interface TaskView {
  slot: number;
  pid: number;
  cpu: number;
  comm: string;
  state: number;
  waitAddr: number;
  waitSince: number;
  held: number[];
  depth: number;
}

function readTasks(i32: Int32Array): TaskView[] {
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
      held,
      depth,
    });
  }
  return out;
}

export class HangDetector {
  readonly #i32: Int32Array;
  readonly #nrCpus: number;
  readonly #hungJ: number;
  readonly #lockupJ: number;
  readonly #release: string;
  #lastBeat: number[] = [];
  #lastBeatChangeJ: number[] = [];

  constructor(i32: Int32Array, nrCpus: number, hungTaskTimeoutSecs: number, release: string) {
    this.#i32 = i32;
    this.#nrCpus = nrCpus;
    this.#hungJ = hungTaskTimeoutSecs * 1000;
    this.#lockupJ = Math.max(hungTaskTimeoutSecs, 20) * 1000;
    this.#release = release;
  }

  /** One scan; `nowJ` is the guest's jiffies. Returns a finding or null. */
  scan(nowJ: number): HangFinding | null {
    const i32 = this.#i32;
    const tasks = readTasks(i32);
    const hung = tasks.filter((t) => t.waitAddr !== 0 && nowJ - t.waitSince > this.#hungJ);
    if (hung.length > 0) return this.#hangReport(tasks, hung, nowJ);
    for (let cpu = 0; cpu < this.#nrCpus; cpu++) {
      const beat = Atomics.load(i32, cpuWord(cpu, CPU_HEARTBEAT));
      if (this.#lastBeat[cpu] !== beat) {
        this.#lastBeat[cpu] = beat;
        this.#lastBeatChangeJ[cpu] = nowJ;
        continue;
      }
      const online = Atomics.load(i32, cpuWord(cpu, CPU_STATE)) === CPU_ST.online;
      const idle = Atomics.load(i32, cpuWord(cpu, CPU_IDLE)) === 1;
      const since = this.#lastBeatChangeJ[cpu] ?? nowJ;
      if (online && !idle && nowJ - since > this.#lockupJ) {
        const hbJ = Atomics.load(i32, cpuWord(cpu, CPU_HEARTBEAT_J));
        const running = tasks.find((t) => t.cpu === cpu && t.state === TASK_ST.running);
        const who = running ? `${running.comm}:${running.pid}` : `swapper/${cpu}:0`;
        const secs = Math.floor((nowJ - Math.min(since, hbJ || since)) / 1000);
        const lines = [`watchdog: BUG: soft lockup - CPU#${cpu} stuck for ${secs}s! [${who}]`, ...this.#heldLocks(tasks)];
        return { kind: 'soft-lockup', lines, summary: `soft lockup on CPU#${cpu} [${who}]` };
      }
    }
    return null;
  }

  #hangReport(all: TaskView[], hung: TaskView[], nowJ: number): HangFinding {
    const i32 = this.#i32;
    const lines: string[] = [];
    const summaries: string[] = [];
    for (const t of hung) {
      const secs = Math.floor((nowJ - t.waitSince) / 1000);
      lines.push(`INFO: task ${t.comm}:${t.pid} blocked for more than ${Math.floor(this.#hungJ / 1000)} seconds.`);
      lines.push(`      Not tainted ${this.#release}`);
      lines.push('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
      const state = t.state === TASK_ST.running ? 'R (spinning)' : 'D';
      lines.push(`task:${t.comm.padEnd(15)} state:${state} pid:${t.pid} cpu:${t.cpu} waiting ${secs}s for lock:`);
      lines.push(` ${lockName(i32, t.waitAddr)}`);
      // lock_acquire() runs before a task waits, so waiters list the lock as held too: a holder
      // is a task that has it in its held list and is not itself waiting for it.
      const holders = all.filter((o) => o.held.includes(t.waitAddr) && o.waitAddr !== t.waitAddr);
      const waiters = all.filter((o) => o.waitAddr === t.waitAddr && o !== t);
      if (holders.length === 0) {
        lines.push(' held by: no task (nobody holds it: a lost wake-up, or an owner that died)');
        summaries.push(`${t.comm}/${t.pid} waits for ${lockName(i32, t.waitAddr)} held by no task`);
      } else {
        for (const h of holders) {
          const hs = h.state === TASK_ST.frozen ? 'frozen (CPU offline)' : h.state === TASK_ST.blocked ? 'blocked' : h.state === TASK_ST.running ? 'running' : 'runnable';
          const waits = h.waitAddr !== 0 ? `, itself waiting for ${lockName(i32, h.waitAddr)}` : '';
          lines.push(` held by: ${h.comm}/${h.pid} on CPU ${h.cpu} (${hs}${waits})`);
        }
        summaries.push(`${t.comm}/${t.pid} waits for ${lockName(i32, t.waitAddr)} held by ${holders.map((h) => `${h.comm}/${h.pid}`).join(', ')}`);
      }
      if (waiters.length > 0) lines.push(` also waiting: ${waiters.map((w) => `${w.comm}/${w.pid}`).join(', ')}`);
    }
    lines.push(...this.#heldLocks(all));
    lines.push('Kernel panic - not syncing: hung_task: blocked tasks');
    return { kind: 'hang', lines, summary: summaries.join('; ') };
  }

  #heldLocks(all: TaskView[]): string[] {
    const lines = ['', 'Showing all locks held in the system:'];
    for (const t of all) {
      if (t.depth === 0) continue;
      lines.push(`${t.depth} lock${t.depth === 1 ? '' : 's'} held by ${t.comm}/${t.pid}:`);
      t.held.forEach((a, k) => lines.push(` #${k}: ${lockName(this.#i32, a)}${a === t.waitAddr ? ' (waiting to acquire)' : ''}`));
    }
    lines.push('');
    lines.push('=============================================');
    return lines;
  }
}
