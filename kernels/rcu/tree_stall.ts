/*
 * RCU CPU stall warnings (kernel/rcu/tree_stall.h): a grace period older than
 * rcupdate.rcu_cpu_stall_timeout seconds is reported, in the kernel's lines, by the first CPU
 * whose scheduling-clock tick notices it:
 *
 *   rcu: INFO: rcu_sched detected stalls on CPUs/tasks:
 *   rcu: \t3-...!: (0 ticks this GP) idle=0e4b/1/0x4000000000000000 softirq=120/120 fqs=2311
 *   rcu: \t(detected by 1, t=10002 jiffies, g=1533, q=12 ncpus=8)
 *
 * or, when the tick runs on the CPU the grace period waits for, `rcu: INFO: rcu_sched
 * self-detected stall on CPU` with that CPU's line and `\t(t=J jiffies g=G q=Q ncpus=C)`. Either
 * report adds `rcu: rcu_sched kthread starved for J jiffies! ...` when the grace-period kthread
 * has not run for more than two seconds, and `kthread timer wakeup didn't happen` when its FQS
 * wait overslept. Each report fails the guest (kapi.noteFailure), and the console lines are what
 * parse-console.sh counts as `Stalls:` and `Starves:`.
 *
 * How (as the kernel): rcu_gp_init() records gp_start and jiffies_stall = gp_start + timeout
 * (record_gp_stall_check_time()); every tick runs check_cpu_stall(), which re-reads gp_seq around
 * jiffies_stall and gp_start to reject a GP that ended meanwhile, and claims the report with a
 * CAS on jiffies_stall so that one CPU prints it. After a report the next one for the same GP is
 * due 3 * timeout + 3 jiffies later. The GP kthread stamps gp_activity at each state change.
 *
 * Parameters (kernel/rcu/update.c's, with its clamping to 3..300 s):
 *   rcupdate.rcu_cpu_stall_timeout (default min(10, hung_task_timeout_secs / 2): 5 s with the
 *   default 10 s hung-task timeout, not the kernel's 21: see configs/rcu/README.md),
 *   rcupdate.rcu_cpu_stall_suppress (0).
 *
 * Departures, and why:
 *   - Host descheduling. A guest CPU runs on a worker thread (an executor), and the host may not
 *     run it (8 CPUs on 2 cores, other guests). The kernel asks the hypervisor (kvm_check_and_clear_guest_paused());
 *     here a tick that finds its own CPU's previous tick more than STALL_PAUSE_J ago although the
 *     CPU was awake gives the current GP that lost time back (jiffies_stall moves forward by the
 *     gap), so a paused guest does not report its own pause as a stall.
 *   - dump_cpu_task() of another CPU prints its `Task dump for CPU N:` and task line but no stack
 *     (one worker cannot unwind another); the self-detecting CPU prints its own Call Trace.
 *   - The irq-work column of the per-CPU line is `?` (no irq_work), softirq counts RCU_SOFTIRQ
 *     runs, and `idle=` shows the dynticks counter with the nesting the kernel shows for a CPU
 *     that is (/1/0x4000000000000000) or is not (/0/0x0) watched by RCU. Blocked-task lists
 *     (`Tasks blocked on level-N rcu_node`) are not printed: readers are not recorded by pid.
 *   - RCU_STALL_RAT_DELAY is 100 jiffies, not 2: a CPU that is late to self-report because the
 *     host did not run its worker must not be reported by another CPU first.
 *   - The kernel checks from rcu_pending(); here rcu_sched_clock_irq() calls check_cpu_stall()
 *     directly, because this model's rcu_pending() also runs at idle exit, which is not a tick.
 */

import { COV, cov, HZ, kapi, type ShmRegion } from '../../harness/kapi.js';
import { lockdep_assert_irqs_disabled } from '../bug.js';
import { ModuleParams } from '../moduleparam.js';
import { hung_task_timeout_secs } from '../core_params.js';
import { ULONG_CMP_GE, ULONG_CMP_LT, rcu_seq_ctr, rcu_seq_state } from './rcu_seq.js';

/**
 * Default rcupdate.rcu_cpu_stall_timeout, seconds: at most this, and at most half of
 * hung_task_timeout_secs (10 s here: 5), so that a stall is reported before the tasks waiting
 * behind it are reported hung, as the kernel's 21 s stays below its 120 s (see
 * rcu_cpu_stall_timeout_default()).
 */
export const RCU_CPU_STALL_TIMEOUT_DEFAULT = 10;

/** rcupdate's stall parameters (kernel/rcu/update.c), read by rcu_stall_init(). */
export const rcupdate_stall_params = new ModuleParams('rcupdate', ['rcu']);
const rcu_cpu_stall_timeout = rcupdate_stall_params.param('int', 'rcu_cpu_stall_timeout', 0, 'Stall timeout in seconds (default from hung_task_timeout_secs)', { min: 0 });
const rcu_cpu_stall_suppress = rcupdate_stall_params.param('int', 'rcu_cpu_stall_suppress', 0, 'Suppress RCU CPU stall warnings', { min: 0 });

/** The default timeout for this guest: min(10, hung_task_timeout_secs / 2), never below 3. */
export function rcu_cpu_stall_timeout_default(hungTaskTimeoutSecs: number): number {
  if (hungTaskTimeoutSecs <= 0) return RCU_CPU_STALL_TIMEOUT_DEFAULT;
  return Math.max(3, Math.min(RCU_CPU_STALL_TIMEOUT_DEFAULT, Math.floor(hungTaskTimeoutSecs / 2)));
}
/**
 * RCU_STALL_RAT_DELAY: other CPUs give the stalled one this long to self-report. The kernel's is
 * 2 jiffies; a worker-thread CPU on a loaded host may not run for tens of milliseconds, so the
 * stalled CPU gets 100 (see the header).
 */
const RCU_STALL_RAT_DELAY = 100;
/** RCU_STALL_MIGHT_MIN: the FQS-timer check's slack. */
const RCU_STALL_MIGHT_MIN = 2 * HZ;
/** A tick gap beyond this on an awake CPU means the host did not run it (see header). */
export const STALL_PAUSE_J = HZ;
/** jiffies_stall while a report is being printed (the kernel's jiffies + ULONG_MAX / 2). */
const HALF_RANGE = 0x40000000;

/** rcu_state words of the stall machinery. */
const ST_JIFFIES_STALL = 0;
const ST_GP_START = 1;
const ST_GP_ACTIVITY = 2;
const ST_N_FORCE_QS_GPSTART = 3;
const ST_JIFFIES_FORCE_QS = 4;
const ST_WORDS = 16;

/** rcu_data words of the stall machinery, one line per CPU. */
const RD_GP_SEQ = 0;
const RD_TICKS_THIS_GP = 1;
const RD_SOFTIRQ_SNAP = 2;
const RD_SOFTIRQ_COUNT = 3;
const RD_WORDS = 16;

/** What tree.ts shows the stall machinery: its shared state, read with Atomics. */
export interface RcuStallView {
  /** rcu_state.name: rcu_sched or rcu_preempt. */
  readonly name: string;
  readonly cpu: number;
  readonly leaves: readonly { readonly idx: number; readonly grplo: number; readonly grphi: number }[];
  readonly leafOfCpu: readonly number[];
  readonly cpuGrpmask: readonly number[];
  gpSeq(): number;
  gpFlags(): number;
  gpStateIndex(): number;
  gpStateName(): string;
  nodeGpSeq(node: number): number;
  qsmask(node: number): number;
  qsmaskinit(node: number): number;
  qsmaskinitnext(node: number): number;
  dynticks(cpu: number): number;
  nForceQs(): number;
  nCbs(cpu: number): number;
  /** CPU and pid of the grace-period kthread. */
  readonly gpKthreadCpu: number;
  gpKthreadPid(): number;
  readonly jiffiesTillNextFqs: number;
}

export interface RcuStall {
  readonly view: RcuStallView;
  readonly st: ShmRegion;
  readonly rd: ShmRegion;
  /** rcu_jiffies_till_stall_check(). */
  readonly tillStallJ: number;
  readonly suppress: boolean;
  /** This CPU's last tick (or idle exit, or coming online), for the host-pause check. */
  lastAwakeJ: number;
}

/** rcu_jiffies_till_stall_check(): the timeout, clamped to 3..300 s as the kernel does. */
export function rcu_jiffies_till_stall_check(timeoutSecs: number): number {
  return Math.min(300, Math.max(3, timeoutSecs)) * HZ;
}

/** Set up this CPU's view; called from rcu_init() on every CPU. */
export function rcu_stall_init(view: RcuStallView): RcuStall {
  const st = kapi.shmAlloc('rcu_state.stall', ST_WORDS);
  const rd = kapi.shmAlloc('rcu_data.stall', kapi.nrCpuIds * RD_WORDS);
  return {
    view,
    st,
    rd,
    tillStallJ: rcu_jiffies_till_stall_check(
      rcu_cpu_stall_timeout.get(rcu_cpu_stall_timeout_default(hung_task_timeout_secs.get())),
    ),
    suppress: rcu_cpu_stall_suppress.get() !== 0,
    lastAwakeJ: kapi.jiffies(),
  };
}

function sw(s: RcuStall, w: number): number {
  return s.st.base + w;
}

function rw(s: RcuStall, cpu: number, w: number): number {
  return s.rd.base + cpu * RD_WORDS + w;
}

/** record_gp_stall_check_time(): rcu_gp_init(), before gp_seq says the GP started. */
export function record_gp_stall_check_time(s: RcuStall): void {
  const i32 = kapi.shm;
  const j = kapi.jiffies();
  Atomics.store(i32, sw(s, ST_GP_START), j);
  Atomics.store(i32, sw(s, ST_N_FORCE_QS_GPSTART), s.view.nForceQs());
  // gp_start before jiffies_stall, both before the caller's gp_seq store: pairs with the reads
  // in check_cpu_stall(), which load them in the opposite order.
  Atomics.store(i32, sw(s, ST_JIFFIES_STALL), (j + s.tillStallJ) | 0);
}

/** The GP kthread did something (the kernel's WRITE_ONCE(rcu_state.gp_activity, jiffies)). */
export function rcu_gp_activity(s: RcuStall): void {
  Atomics.store(kapi.shm, sw(s, ST_GP_ACTIVITY), kapi.jiffies());
}

/** rcu_gp_fqs_loop() is about to sleep `j` jiffies (rcu_state.jiffies_force_qs). */
export function rcu_stall_fqs_wait(s: RcuStall, j: number): void {
  Atomics.store(kapi.shm, sw(s, ST_JIFFIES_FORCE_QS), (kapi.jiffies() + j) | 0);
}

/** kstat_softirqs_cpu(RCU_SOFTIRQ): rcu_core() ran on this CPU. */
export function rcu_stall_note_softirq(s: RcuStall): void {
  Atomics.add(kapi.shm, rw(s, s.view.cpu, RD_SOFTIRQ_COUNT), 1);
}

/** The CPU was idle or offline until now: its tick gap is not a host pause. */
export function rcu_stall_cpu_awake(s: RcuStall): void {
  s.lastAwakeJ = kapi.jiffies();
}

/** rcu_stall_is_suppressed(). */
function rcu_stall_is_suppressed(s: RcuStall): boolean {
  return s.suppress;
}

function rcu_gp_in_progress(s: RcuStall): boolean {
  return rcu_seq_state(s.view.gpSeq()) !== 0;
}

/**
 * The tick's part: ticks_this_gp (zeroed when this CPU notices a new GP, as
 * note_gp_changes() -> zero_cpu_stall_ticks()), the host-pause check, then check_cpu_stall().
 */
export function rcu_stall_tick(s: RcuStall): void {
  const i32 = kapi.shm;
  const v = s.view;
  const cpu = v.cpu;
  const j = kapi.jiffies();
  const gap = j - s.lastAwakeJ;
  s.lastAwakeJ = j;
  if (gap > STALL_PAUSE_J) {
    // This CPU was awake but did not run for `gap`: give the GP the lost time back.
    const js = Atomics.load(i32, sw(s, ST_JIFFIES_STALL));
    Atomics.compareExchange(i32, sw(s, ST_JIFFIES_STALL), js, (js + gap) | 0);
  }
  const leaf = v.leafOfCpu[cpu] ?? 0;
  const ngs = v.nodeGpSeq(leaf);
  if (Atomics.load(i32, rw(s, cpu, RD_GP_SEQ)) !== ngs) {
    Atomics.store(i32, rw(s, cpu, RD_GP_SEQ), ngs);
    Atomics.store(i32, rw(s, cpu, RD_TICKS_THIS_GP), 0);
    Atomics.store(i32, rw(s, cpu, RD_SOFTIRQ_SNAP), Atomics.load(i32, rw(s, cpu, RD_SOFTIRQ_COUNT)));
  }
  Atomics.add(i32, rw(s, cpu, RD_TICKS_THIS_GP), 1);
  check_cpu_stall(s);
}

/** check_cpu_stall(): is the current GP older than jiffies_stall? Report it once if so. */
export function check_cpu_stall(s: RcuStall): void {
  const i32 = kapi.shm;
  const v = s.view;
  lockdep_assert_irqs_disabled();
  if (rcu_stall_is_suppressed(s) || !rcu_gp_in_progress(s)) return;
  const j = kapi.jiffies();
  // gp_seq, then jiffies_stall, then gp_start, then gp_seq again: the reverse of the stores in
  // record_gp_stall_check_time() + rcu_seq_start(), so a GP that ended and restarted in between
  // is seen as gs1 !== gs2.
  const gs1 = v.gpSeq();
  const js = Atomics.load(i32, sw(s, ST_JIFFIES_STALL));
  const gps = Atomics.load(i32, sw(s, ST_GP_START));
  const gs2 = v.gpSeq();
  if (gs1 !== gs2 || ULONG_CMP_LT(j, js) || ULONG_CMP_GE(gps, js)) return;
  cov(COV.rcu_stall_check);
  const leaf = v.leafOfCpu[v.cpu] ?? 0;
  const self_detected = (v.qsmask(leaf) & (v.cpuGrpmask[v.cpu] ?? 0)) !== 0;
  const jn = (j + HALF_RANGE) | 0;
  if (
    rcu_gp_in_progress(s) &&
    (self_detected || ULONG_CMP_GE(j, (js + RCU_STALL_RAT_DELAY) | 0)) &&
    Atomics.compareExchange(i32, sw(s, ST_JIFFIES_STALL), js, jn) === js
  ) {
    cov(self_detected ? COV.rcu_stall_self : COV.rcu_stall_other);
    if (self_detected) print_cpu_stall(s, gps);
    else print_other_cpu_stall(s, gs2, gps);
    if (Atomics.load(i32, sw(s, ST_JIFFIES_STALL)) === jn) {
      Atomics.store(i32, sw(s, ST_JIFFIES_STALL), (kapi.jiffies() + 3 * s.tillStallJ + 3) | 0);
    }
  }
}

function pr_err(line: string): void {
  kapi.printk(`rcu: ${line}`);
}

function hex(n: number): string {
  return n === 0 ? '0' : `0x${(n >>> 0).toString(16)}`;
}

/** print_cpu_stall_info(): one `\tN-....: (...)` line. */
function print_cpu_stall_info(s: RcuStall, cpu: number): void {
  const i32 = kapi.shm;
  const v = s.view;
  const leaf = v.leafOfCpu[cpu] ?? 0;
  const mask = v.cpuGrpmask[cpu] ?? 0;
  const behind = rcu_seq_ctr((v.gpSeq() - Atomics.load(i32, rw(s, cpu, RD_GP_SEQ))) | 0);
  const ticks = behind !== 0 ? `${behind} GPs behind` : `${Atomics.load(i32, rw(s, cpu, RD_TICKS_THIS_GP))} ticks this GP`;
  const d = v.dynticks(cpu);
  const watching = (d & 1) !== 0;
  const starving = rcu_is_gp_kthread_starving(s) !== null;
  const falsepositive = starving && !watching;
  pr_err(
    `\t${cpu}-${kapi.cpuOnline(cpu) ? '.' : 'O'}${(mask & v.qsmaskinit(leaf)) !== 0 ? '.' : 'o'}` +
      `${(mask & v.qsmaskinitnext(leaf)) !== 0 ? '.' : 'N'}?: (${ticks}) ` +
      `idle=${(d & 0xffff).toString(16).padStart(4, '0')}/${watching ? '1/0x4000000000000000' : '0/0x0'} ` +
      `softirq=${Atomics.load(i32, rw(s, cpu, RD_SOFTIRQ_SNAP))}/${Atomics.load(i32, rw(s, cpu, RD_SOFTIRQ_COUNT))} ` +
      `fqs=${v.nForceQs() - Atomics.load(i32, sw(s, ST_N_FORCE_QS_GPSTART))}${falsepositive ? ' (false positive?)' : ''}`,
  );
}

function totqlen(s: RcuStall): number {
  let q = 0;
  for (let c = 0; c < kapi.nrCpuIds; c++) q += s.view.nCbs(c);
  return q;
}

function n_online_cpus(): number {
  return kapi.numOnlineCpus();
}

/** sched_show_task()'s first line (no stack: see the header). */
function sched_show_task_line(comm: string, pid: number, running: boolean): string {
  const state = running ? 'R  running task    ' : 'I';
  return `task:${comm.slice(0, 15).padEnd(15, ' ')} state:${state} stack:${'0'.padEnd(5, ' ')} pid:${String(pid).padEnd(5, ' ')} tgid:${String(pid).padEnd(5, ' ')} ppid:${'2'.padEnd(6, ' ')} flags:0x00004000`;
}

/** dump_cpu_task(): our own stack from the tick; another CPU's current task line. */
function dump_cpu_task(cpu: number): void {
  if (cpu === kapi.smpProcessorId() && kapi.inHardirq()) {
    kapi.printk('Call Trace:');
    for (const f of kapi.stackTraceSave()) kapi.printk(` ${f}`);
    return;
  }
  kapi.printk(`Task dump for CPU ${cpu}:`);
  const t = kapi.cpuCurr(cpu);
  if (t === null) kapi.printk(sched_show_task_line(`swapper/${cpu}`, 0, true));
  else kapi.printk(sched_show_task_line(t.comm, t.pid, true));
}

/** rcu_dump_cpu_stacks(): every CPU the GP still waits for. */
function rcu_dump_cpu_stacks(s: RcuStall): void {
  const v = s.view;
  for (const leaf of v.leaves) {
    const qsmask = v.qsmask(leaf.idx);
    for (let cpu = leaf.grplo; cpu <= leaf.grphi; cpu++) {
      if ((qsmask & (v.cpuGrpmask[cpu] ?? 0)) === 0) continue;
      if (!kapi.cpuOnline(cpu)) pr_err(`Offline CPU ${cpu} blocking current GP.`);
      else dump_cpu_task(cpu);
    }
  }
}

/** rcu_is_gp_kthread_starving(): jiffies since the GP kthread last ran, if over 2 s; else null. */
function rcu_is_gp_kthread_starving(s: RcuStall): number | null {
  const j = kapi.jiffies() - Atomics.load(kapi.shm, sw(s, ST_GP_ACTIVITY));
  return j > 2 * HZ ? j : null;
}

/** The GP kthread's ->state as the kernel prints it: TASK_IDLE (0x402) in its waits, else running. */
function gp_kthread_state(s: RcuStall): number {
  const name = s.view.gpStateName();
  return name === 'RCU_GP_WAIT_GPS' || name === 'RCU_GP_WAIT_FQS' ? 0x402 : 0;
}

/** rcu_check_gp_kthread_starvation(). */
function rcu_check_gp_kthread_starvation(s: RcuStall): void {
  const v = s.view;
  const j = rcu_is_gp_kthread_starving(s);
  if (j === null) return;
  const cpu = v.gpKthreadCpu;
  pr_err(
    `${v.name} kthread starved for ${j} jiffies! g${v.gpSeq()} f${hex(v.gpFlags())} ${v.gpStateName()}(${v.gpStateIndex()}) ` +
      `->state=${hex(gp_kthread_state(s))} ->cpu=${cpu}`,
  );
  pr_err(`\tUnless ${v.name} kthread gets sufficient CPU time, OOM is now expected behavior.`);
  pr_err('RCU grace-period kthread stack dump:');
  kapi.printk(sched_show_task_line(v.name, v.gpKthreadPid(), gp_kthread_state(s) === 0));
  if (!kapi.cpuOnline(cpu)) {
    pr_err(`RCU GP kthread last ran on offline CPU ${cpu}.`);
  } else if ((v.qsmask(v.leafOfCpu[cpu] ?? 0) & (v.cpuGrpmask[cpu] ?? 0)) === 0) {
    pr_err('Stack dump where RCU GP kthread last ran:');
    dump_cpu_task(cpu);
  }
}

/** rcu_check_gp_kthread_expired_fqs_timer(). */
function rcu_check_gp_kthread_expired_fqs_timer(s: RcuStall): void {
  const v = s.view;
  const jfqs = Atomics.load(kapi.shm, sw(s, ST_JIFFIES_FORCE_QS));
  const j = kapi.jiffies();
  if (v.gpStateName() !== 'RCU_GP_WAIT_FQS' || !ULONG_CMP_GE(j, (jfqs + RCU_STALL_MIGHT_MIN + 1) | 0)) return;
  pr_err(
    `${v.name} kthread timer wakeup didn't happen for ${j - jfqs} jiffies! g${v.gpSeq()} f${hex(v.gpFlags())} ` +
      `RCU_GP_WAIT_FQS(${v.gpStateIndex()}) ->state=${hex(gp_kthread_state(s))}`,
  );
  pr_err(`\tPossible timer handling issue on cpu=${v.gpKthreadCpu} timer-softirq=0`);
}

/** print_other_cpu_stall(): this CPU noticed that other CPUs hold the GP up. */
function print_other_cpu_stall(s: RcuStall, gp_seq: number, gps: number): void {
  const v = s.view;
  pr_err(`INFO: ${v.name} detected stalls on CPUs/tasks:`);
  let ndetected = 0;
  for (const leaf of v.leaves) {
    const qsmask = v.qsmask(leaf.idx);
    if (qsmask === 0) continue;
    for (let cpu = leaf.grplo; cpu <= leaf.grphi; cpu++) {
      if ((qsmask & (v.cpuGrpmask[cpu] ?? 0)) === 0) continue;
      print_cpu_stall_info(s, cpu);
      ndetected++;
    }
  }
  const j = kapi.jiffies();
  pr_err(`\t(detected by ${v.cpu}, t=${j - gps} jiffies, g=${v.gpSeq()}, q=${totqlen(s)} ncpus=${n_online_cpus()})`);
  if (ndetected > 0) {
    rcu_dump_cpu_stacks(s);
  } else if (v.gpSeq() !== gp_seq) {
    pr_err('INFO: Stall ended before state dump start');
  } else {
    const gpa = Atomics.load(kapi.shm, sw(s, ST_GP_ACTIVITY));
    pr_err(
      `All QSes seen, last ${v.name} kthread activity ${j - gpa} (${j}-${gpa}), jiffies_till_next_fqs=${v.jiffiesTillNextFqs}, root ->qsmask ${hex(v.qsmask(0))}`,
    );
  }
  rcu_check_gp_kthread_expired_fqs_timer(s);
  rcu_check_gp_kthread_starvation(s);
  kapi.noteFailure(`rcu: INFO: ${v.name} detected stalls on CPUs/tasks`);
}

/** print_cpu_stall(): this CPU is the one the GP waits for. */
function print_cpu_stall(s: RcuStall, gps: number): void {
  const v = s.view;
  pr_err(`INFO: ${v.name} self-detected stall on CPU`);
  print_cpu_stall_info(s, v.cpu);
  pr_err(`\t(t=${kapi.jiffies() - gps} jiffies g=${v.gpSeq()} q=${totqlen(s)} ncpus=${n_online_cpus()})`);
  rcu_check_gp_kthread_expired_fqs_timer(s);
  rcu_check_gp_kthread_starvation(s);
  rcu_dump_cpu_stacks(s);
  kapi.noteFailure(`rcu: INFO: ${v.name} self-detected stall on CPU`);
}
