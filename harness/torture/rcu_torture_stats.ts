/*
 * rcu_torture_stats_print() and the rcu_torture_stats kthread (kernel/rcu/rcutorture.c): the four
 * stats lines in the kernel's format every stat_interval (`!!!` and the writer-stall lines when
 * due), and the mem_dump_obj() slab test after each print (see rcu_torture.ts's header).
 */

import { HZ, kapi } from '../kapi.js';
import { WARN, WARN_ON } from '../../kernels/bug.js';
import { torture_kthread_stopping, torture_must_stop, torture_onoff_counts, torture_onoff_stats, torture_sleep_interruptible, VERBOSE_TOROUT_STRING } from './common.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_destroy, kmem_cache_free, mem_dump_obj, pointer_px, SLAB_STORE_USER, ZERO_SIZE_PTR } from '../../kernels/mm/slab_common.js';
import { slub_cpu_dead_stats } from '../../kernels/mm/slub.js';
import {
  ew,
  load,
  PC_BATCH,
  PC_DOUBLES,
  PC_PIPE,
  PC_TIMERS,
  RCU_TORTURE_PIPE_LEN,
  RTWS_NAMES,
  sw,
  T_ALLOC,
  T_ALLOC_FAIL,
  T_BARRIER_ATTEMPTS,
  T_BARRIER_ERROR,
  T_BARRIER_SUCCESSES,
  T_CURRENT,
  T_ERROR,
  T_FAILED_NOTED,
  T_FREE,
  T_FREELIST,
  T_MBERROR,
  T_RDR_ALLOCS,
  T_READ_EXITS,
  T_VERSION,
  T_WARNED,
  T_WCOUNT,
  T_WRITER_STATE,
  tt,
} from './rcu_torture_state.js';

/* ---------------- stats ---------------- */

let rtcv_snap = -1;
let splatted = false;

export function hexFlags(f: number): string {
  return f === 0 ? '0' : `0x${f.toString(16)}`;
}

/** %p of the current element: hashed like the kernel's, `(null)` for none. */
function rtcString(e: number): string {
  if (e < 0) return '(null)';
  const h = Math.imul((ew(e, 0) * 4) ^ 0x5bd1e995, 0x2c1b3c6d) >>> 0;
  return h.toString(16).padStart(16, '0');
}

/** rcu_torture_stats_print(): the four lines (and !!! / writer stall when due). */
export function rcu_torture_stats_print(): void {
  const t = tt();
  const i32 = kapi.shm;
  const pipesummary = new Array<number>(RCU_TORTURE_PIPE_LEN + 1).fill(0);
  const batchsummary = new Array<number>(RCU_TORTURE_PIPE_LEN + 1).fill(0);
  let timers = 0;
  for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) {
    const b = cpu * PC_DOUBLES;
    for (let k = 0; k <= RCU_TORTURE_PIPE_LEN; k++) {
      pipesummary[k] = (pipesummary[k] ?? 0) + (t.perCpu[b + PC_PIPE + k] ?? 0);
      batchsummary[k] = (batchsummary[k] ?? 0) + (t.perCpu[b + PC_BATCH + k] ?? 0);
    }
    timers += t.perCpu[b + PC_TIMERS] ?? 0;
  }
  let i = RCU_TORTURE_PIPE_LEN;
  for (; i >= 0; i--) if ((pipesummary[i] ?? 0) !== 0) break;
  const cur = load(sw(T_CURRENT));
  const ver = load(sw(T_VERSION));
  const tag = `${t.ops.name}-torture: `;
  let line =
    `${tag}rtc: ${rtcString(cur)} ${cur >= 0 ? 'ver' : 'VER'}: ${ver} tfle: ${load(sw(T_FREELIST)) < 0 ? 1 : 0} ` +
    `rta: ${load(sw(T_ALLOC))} rtaf: ${load(sw(T_ALLOC_FAIL))} rtf: ${load(sw(T_FREE))} ` +
    `rtmbe: ${load(sw(T_MBERROR))} rtmbkf: 0/0 rtbe: ${load(sw(T_BARRIER_ERROR))} rtbke: 0 ` +
    `rtbf: 0 rtb: 0 nt: ${timers} `;
  if (t.hotplug) line += torture_onoff_stats();
  line += `barrier: ${load(sw(T_BARRIER_SUCCESSES))}/${load(sw(T_BARRIER_ATTEMPTS))}:${load(sw(T_BARRIER_ERROR))} `;
  line += `read-exits: ${load(sw(T_READ_EXITS))} nocb-toggles: 0:0`;
  kapi.printk(line);
  const bad = load(sw(T_MBERROR)) !== 0 || load(sw(T_BARRIER_ERROR)) !== 0 || i > 1;
  if (bad) {
    Atomics.add(i32, sw(T_ERROR), 1);
    if (Atomics.compareExchange(i32, sw(T_FAILED_NOTED), 0, 1) === 0) kapi.noteFailure(`${t.ops.name}-torture: too-short grace period or barrier error`);
  }
  kapi.printk(`${tag}${bad ? '!!! ' : ''}Reader Pipe: ${pipesummary.map((v) => ` ${v}`).join('')}`);
  if (bad && Atomics.compareExchange(i32, sw(T_WARNED), 0, 1) === 0) {
    if (i > 1) WARN(true, 'Too-short grace period');
    else WARN_ON(true);
  }
  kapi.printk(`${tag}Reader Batch: ${batchsummary.map((v) => ` ${v}`).join('')}`);
  const wc: string[] = [];
  for (let k = 0; k <= RCU_TORTURE_PIPE_LEN; k++) wc.push(` ${load(sw(T_WCOUNT + k))}`);
  kapi.printk(`${tag}Free-Block Circulation: ${wc.join('')}`);
  if (t.ops.stats !== undefined) kapi.printk(t.ops.stats());
  if (t.hotplug) {
    // The offline path's work (not a kernel line): what slub_cpu_dead() gave back to the node
    // lists and how many callbacks rcutree_migrate_callbacks() adopted from dead CPUs.
    const sd = slub_cpu_dead_stats();
    const mc = t.ops.cb_migrate_stats();
    kapi.printk(
      `${tag}cpuhp dead work: slub_cpu_dead: ${sd.calls} calls ${sd.cpuSlabs} cpu slabs ${sd.objects} objects ` +
        `rcutree_migrate_callbacks: ${mc.adopted} callbacks from ${mc.cpus} CPUs rdr-allocs: ${load(sw(T_RDR_ALLOCS))}`,
    );
  }
  const ws = load(sw(T_WRITER_STATE));
  // Departure: a writer paused by stutter is not stalled. The kernel relies on stat_interval
  // (15 s) exceeding the stutter pause; short runs here print stats more often than that.
  if (rtcv_snap === ver && cur >= 0 && RTWS_NAMES[ws] !== 'RTWS_STUTTER') {
    const { flags, gp_seq } = t.ops.get_gp_data();
    const name = RTWS_NAMES[ws] ?? 'RTWS_FIXED_DELAY';
    const sleeping = name !== 'RTWS_DELAY' && name !== 'RTWS_REPLACE' && name !== 'RTWS_DEF_FREE';
    kapi.printk(`??? Writer stall state ${name}(${ws}) g${gp_seq} f${hexFlags(flags)} ->state ${sleeping ? '0x2' : '0x0'} cpu 0`);
    if (!splatted) {
      splatted = true;
      if (t.ops.gp_kthread_dbg !== undefined) kapi.printk(`rcu: ${t.ops.gp_kthread_dbg()} g${gp_seq} f${hexFlags(flags)}`);
    }
  }
  rtcv_snap = ver;
}

/**
 * rcu_torture_stats(): print every stat_interval, then run the mem_dump_obj() slab test, inline
 * as in 2021 kernels so that the stack reads like the seed's: rcu_torture_stats ->
 * kmem_cache_create.
 */
export async function rcu_torture_stats(): Promise<void> {
  const t = tt();
  VERBOSE_TOROUT_STRING('rcu_torture_stats task started');
  const z = kapi.shmAlloc('rcu_torture_stats.z', 1).base * 4;
  const rhpVar = kapi.shmAlloc('rcu_torture_stats.rhp', 1).base * 4;
  const stats_task = 0xffff888100000000n + BigInt(kapi.current().pid) * 0x2000n;
  do {
    if (await torture_sleep_interruptible(t.p.stat_interval * HZ)) {
      // The kernel's rcu_torture_cleanup() stops the writer before this kthread, so the print
      // that kthread_stop() wakes us for sees the writer gone (`rtc: (null)`, which parse-console
      // skips). Here every kthread is woken at once: let the writer finish first (bounded).
      for (let j = 0; j < 2 * HZ && Atomics.load(kapi.shm, sw(T_CURRENT)) !== -1; j++) await kapi.scheduleTimeout(1);
    }
    rcu_torture_stats_print();
    // Test mem_dump_obj() and friends. The kernel runs it once, in rcu_torture_cleanup(), after
    // every CPU offline of the run; here it runs every interval, but with hotplug only once an
    // offline has completed, which keeps the kernel's order (the offline path's cpu_hotplug_lock
    // -> slab_mutex first) so that a lock-order bug between the two reads as the seed report
    // does: this kthread trying cpu_hotplug_lock under slab_mutex. Without the wait, a loaded
    // host whose first offline is slow lets kmem_cache_create() go first, and lockdep reports
    // the same cycle from torture_onoff's side.
    if (t.hotplug && torture_onoff_counts().offlineOk === 0) continue;
    const kcp = await kmem_cache_create('rcuscale', 136, 8, SLAB_STORE_USER, null);
    if (kcp === null) {
      WARN_ON(true);
      continue;
    }
    const rhp = kmem_cache_alloc(kcp);
    if (rhp === 0) {
      WARN_ON(true);
      await kmem_cache_destroy(kcp);
      continue;
    }
    kapi.printk(
      `mem_dump_obj() slab test: rcu_torture_stats = ${stats_task.toString(16)}, &rhp = ${pointer_px(rhpVar)}, rhp = ${pointer_px(rhp)}, &z = ${pointer_px(z)}`,
    );
    const dump = (label: string, addr: number): void => {
      const [first, ...rest] = mem_dump_obj(addr);
      kapi.printk(`mem_dump_obj(${label}):${first ?? ''}`);
      for (const l of rest) kapi.printk(l);
    };
    dump('ZERO_SIZE_PTR', ZERO_SIZE_PTR);
    dump('NULL', 0);
    dump(pointer_px(rhpVar), rhpVar);
    dump(pointer_px(rhp), rhp);
    dump(pointer_px(rhp + 8), rhp + 8);
    dump(pointer_px(z), z);
    kmem_cache_free(kcp, rhp);
    await kmem_cache_destroy(kcp);
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_stats');
}
