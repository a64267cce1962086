/*
 * rcutorture (kernel/rcu/rcutorture.c, 2021 shape): a guest module that tortures an RCU flavour
 * (`rcu` = Tree RCU, or the deliberately broken `busted`: kernels/rcu/rcu_torture_ops.ts) and
 * reports in the kernel's formats. This file is the module's parameters, boot
 * (rcu_torture_init()) and cleanup; rcutorture.c's sections are the files beside it:
 * rcu_torture_state.ts (shared state, elements, slab caches), rcu_torture_writer.ts (writer and
 * fake writers), rcu_torture_reader.ts, rcu_torture_barrier.ts, rcu_torture_stats.ts and
 * rcu_torture_stall.ts. None of them imports an RCU implementation: the ops carry what they need.
 *
 * The check: a pool of 10 * RCU_TORTURE_PIPE_LEN elements in shm. The writer publishes one as
 * rcu_torture_current, then ages the element it replaced one step per grace period (through
 * call_rcu() callbacks or a synchronous primitive and rcu_torture_pipe_update()); at
 * RCU_TORTURE_PIPE_LEN it is freed. A reader that finds an element of age >= 2 inside one
 * read-side critical section saw a grace period end under it: the stats task prints `!!!`, counts
 * an error, and the run ends `End of test: FAILURE`.
 *
 * Tasks (they migrate, and torture_shuffle moves them; the system kthreads start spread over the
 * CPUs by torture_spread_here(), the readers and fakewriters start on CPUs 1..):
 * rcu_torture_writer, nfakewriters rcu_torture_fakewriter, nreaders rcu_torture_reader (plus a
 * timer-handler reader each with irqreader), rcu_torture_stats, the n_barrier_cbs rcu_barrier()
 * test, and torture.c's onoff, shuffle, stutter and shutdown.
 *
 * Slab: the writer's elements carry a slab payload and readers allocate a small object every
 * RDR_ALLOC_EVERY reads and free it through call_rcu(), on whatever CPU they run, so that CPU
 * offline has per-CPU slabs to flush and callbacks to migrate (see the E_PAYLOAD comment below).
 *
 * rcu_torture_stats runs the mem_dump_obj() slab test (kmem_cache_create("rcuscale", 136, 8,
 * SLAB_STORE_USER, NULL)) after every stats print, not once at cleanup as the kernel does, so
 * that a short run takes the seed's create path while hotplug is active (configs/rcu/README.md);
 * with hotplug it waits for the first completed offline, which keeps the kernel's order.
 *
 * More of rcutorture.c's tests, each in its own file: the forward-progress tests
 * (rcu_torture_fwd_prog.ts), read_exit (rcu_torture_read_exit.ts), force-quiescent-state bursts
 * (rcu_torture_fqs.ts), the CPU and GP-kthread stalls (rcu_torture_stall.ts).
 *
 * Not modelled: priority boosting, NOCB toggling, NMI readers, reader "extendables", rtmbkf
 * reader-check mailboxes, the full-state polled primitives, and the udelay()s of the writer (they
 * only burn CPU). Their parameters are declared refused below, so a run cannot appear to test them.
 */

import { ModuleParams } from '../../kernels/moduleparam.js';
import { HZ, kapi } from '../kapi.js';
import {
  torture_cleanup_begin,
  torture_cleanup_end,
  torture_create_kthread,
  torture_init_begin,
  torture_init_end,
  torture_onoff_failures,
  torture_onoff_init,
  torture_shuffle_init,
  torture_shutdown_init,
  torture_spread_here,
  torture_stutter_init,
} from './common.js';
import { DEFINE_SPINLOCK } from '../../kernels/locking/spinlock.js';
import { rcu_callback } from '../../kernels/rcu/rcu_callback.js';
import { RCU_TORTURE_TYPES, rcu_ops, rcu_torture_ops_of, type RcuTortureOps } from '../../kernels/rcu/rcu_torture_ops.js';
import { slub_init } from '../../kernels/mm/slub.js';
import { rcu_torture_barrier, rcu_torture_barrier_cbf, rcu_torture_barrier_cbs } from './rcu_torture_barrier.js';
import { rcu_torture_fqs_duration, rcu_torture_fqs_init } from './rcu_torture_fqs.js';
import { rcu_torture_fwd_prog_init } from './rcu_torture_fwd_prog.js';
import { rcu_torture_read_exit_init } from './rcu_torture_read_exit.js';
import { rcu_torture_reader } from './rcu_torture_reader.js';
import { rcu_torture_stall_init } from './rcu_torture_stall.js';
import { rcu_torture_init_srcu_lockdep } from './rcu_torture_srcu_lockdep.js';
import {
  load,
  rcu_torture_cb,
  rcu_torture_rdr_free,
  rcu_torture_shm,
  setTorture,
  sw,
  T_BARRIER_ERROR,
  T_ERROR,
  T_START_GP,
  tt,
  type RcuTortureParams,
  type SyncType,
  type Torture,
} from './rcu_torture_state.js';
import { hexFlags, rcu_torture_stats, rcu_torture_stats_print } from './rcu_torture_stats.js';
import { rcu_torture_fakewriter, rcu_torture_writer } from './rcu_torture_writer.js';

/* ---------------- parameters (torture_param) ---------------- */

/*
 * Every torture_param() of the 6.12 kernel's rcutorture.c, honoured or refused
 * (rcu_torture_params.test.ts holds the kernel's list). The printed ones are declared in the
 * order of the kernel's rcu_torture_print_module_parms(), which the `Start of test` line follows
 * (print_words(): only what is in effect, so a refused one is not printed); the kernel's other
 * parameters are `quiet`, as its print line leaves them out. A parameter this model lacks is
 * refused: setting it is bad input naming it (configs/rcu/README.md lists them).
 */
export const rcutorture_params = new ModuleParams('rcutorture', ['rcu']);
const rp = rcutorture_params;
const nreaders = rp.param('int', 'nreaders', -1, 'Number of RCU reader threads');
const nfakewriters = rp.param('int', 'nfakewriters', 4, 'Number of RCU fake writer threads');
const stat_interval = rp.param('int', 'stat_interval', 60, 'Number of seconds between stats printk()s', { min: 0 });
const verbose = rp.param('int', 'verbose', 1, 'Enable verbose debugging printk()s', { min: 0 });
const test_no_idle_hz = rp.param('bool', 'test_no_idle_hz', true, 'Test support for tickless idle CPUs');
const shuffle_interval = rp.param('int', 'shuffle_interval', 3, 'Number of seconds between shuffles', { min: 0 });
const stutter = rp.param('int', 'stutter', 5, 'Number of seconds to run/halt test', { min: 0 });
const irqreader = rp.param('int', 'irqreader', 1, 'Allow RCU readers from irq handlers', { min: 0 });
const fqs_duration = rp.param('int', 'fqs_duration', 0, 'Duration of fqs bursts (us), 0 to disable');
const fqs_holdoff = rp.param('int', 'fqs_holdoff', 0, 'Holdoff time within fqs bursts (us)', { min: 0 });
const fqs_stutter = rp.param('int', 'fqs_stutter', 3, 'Wait time between fqs bursts (s)', { min: 0 });
for (const name of ['test_boost', 'test_boost_interval', 'test_boost_duration']) rp.refuse('int', name, 'needs real-time priority boosting, which the model lacks');
const shutdown_secs = rp.param('int', 'shutdown_secs', 0, 'Shutdown time (s), <= zero to disable.', { min: 0 });
const stall_cpu = rp.param('int', 'stall_cpu', 0, 'Stall duration (s), zero to disable.', { min: 0 });
const stall_cpu_holdoff = rp.param('int', 'stall_cpu_holdoff', 10, 'Time to wait before starting stall (s).', { min: 0 });
const stall_cpu_irqsoff = rp.param('int', 'stall_cpu_irqsoff', 0, 'Disable interrupts while stalling.', { min: 0 });
const stall_cpu_block = rp.param('int', 'stall_cpu_block', 0, 'Sleep while stalling.', { min: 0 });
const stall_cpu_repeat = rp.param('int', 'stall_cpu_repeat', 0, 'Number of additional stalls after the first one.', { min: 0 });
const n_barrier_cbs = rp.param('int', 'n_barrier_cbs', 0, '# of callbacks/kthreads for barrier testing', { min: 0 });
const onoff_interval = rp.param('int', 'onoff_interval', 0, 'Time between CPU hotplugs (jiffies), 0=disable', { min: 0 });
const onoff_holdoff = rp.param('int', 'onoff_holdoff', 0, 'Time after boot before CPU hotplugs (s)', { min: 0 });
const read_exit_delay = rp.param('int', 'read_exit_delay', 13, 'Delay between read-then-exit episodes (s)', { min: 0 });
const read_exit_burst = rp.param('int', 'read_exit_burst', 16, '# of read-then-exit bursts per episode, zero to disable');
for (const name of ['nocbs_nthreads', 'nocbs_toggle']) rp.refuse('int', name, 'callback-offload toggling: the model lacks callback offloading (rcu_nocbs)');
// Not printed by the kernel's rcu_torture_print_module_parms().
const torture_type = rp.param('charp', 'torture_type', 'rcu', 'Type of RCU to torture (rcu, busted, ...)', { values: RCU_TORTURE_TYPES, quiet: true });
const fwd_progress = rp.param('int', 'fwd_progress', 1, 'Number of grace-period forward progress tasks (0 to disable)', { quiet: true });
const fwd_progress_div = rp.param('int', 'fwd_progress_div', 4, 'Fraction of CPU stall to wait', { quiet: true });
const fwd_progress_holdoff = rp.param('int', 'fwd_progress_holdoff', 60, 'Time between forward-progress tests (s)', { quiet: true });
const fwd_progress_need_resched = rp.param('bool', 'fwd_progress_need_resched', true, 'Hide cond_resched() behind need_resched()', { quiet: true });
const gp_cond = rp.param('bool', 'gp_cond', false, 'Use conditional/async GP wait primitives', { quiet: true });
const gp_exp = rp.param('bool', 'gp_exp', false, 'Use expedited GP wait primitives', { quiet: true });
const gp_normal = rp.param('bool', 'gp_normal', false, 'Use normal (non-expedited) GP wait primitives', { quiet: true });
const gp_poll = rp.param('bool', 'gp_poll', false, 'Use polling GP wait primitives', { quiet: true });
const gp_sync = rp.param('bool', 'gp_sync', false, 'Use synchronous GP wait primitives', { quiet: true });
for (const name of ['gp_cond_full', 'gp_cond_exp', 'gp_cond_exp_full', 'gp_poll_full', 'gp_poll_exp', 'gp_poll_exp_full']) {
  rp.refuse('bool', name, 'the full-state and expedited polled GP primitives: Tree RCU here has one gp_seq, no expedited sequence');
}
// Planted conditions of the forward-progress checks (ours, test-only: rcu_torture_fwd_prog.ts).
const test_fwd_gp_stall = rp.param('int', 'test_fwd_gp_stall', 0, 'The first callback flood stalls the GP kthread this many seconds', { min: 0, quiet: true });
const test_fwd_oom = rp.param('int', 'test_fwd_oom', 0, 'Memory for this many flood callbacks, and no flood cap (0: the model default)', { min: 0, quiet: true });
const stall_gp_kthread = rp.param('int', 'stall_gp_kthread', 0, 'Grace-period kthread stall duration (s).', { min: 0, quiet: true });
rp.refuse('bool', 'stall_no_softlockup', 'the soft-lockup watchdog of a CPU stall: the stall spins without one');
// Not 6.12's: a later kernel's parameter, refused by name all the same.
rp.refuse('int', 'test_boost_holdoff', 'needs real-time priority boosting, which the model lacks');
rp.refuse('bool', 'object_debug', 'the debug-objects test');
rp.refuse('int', 'extendables', 'extended readers');
rp.refuse('bool', 'leakpointer', 'the leaked-pointer test');
rp.refuse('int', 'reader_flavor', 'SRCU reader flavours');
rp.refuse('int', 'test_nmis', 'NMI readers');
for (const name of ['preempt_duration', 'preempt_interval']) rp.refuse('int', name, 'the preemption kthread');

/** The honoured parameters, read at boot (module load must not touch kapi: the driver imports this file). */
function readParams(): RcuTortureParams {
  return {
    torture_type: torture_type.get(),
    nreaders: nreaders.get(),
    nfakewriters: nfakewriters.get(),
    stat_interval: stat_interval.get(),
    verbose: verbose.get(),
    test_no_idle_hz: test_no_idle_hz.get(),
    shuffle_interval: shuffle_interval.get(),
    stutter: stutter.get(),
    irqreader: irqreader.get(),
    fqs_duration: Math.max(0, fqs_duration.get()),
    fqs_holdoff: fqs_holdoff.get(),
    fqs_stutter: fqs_stutter.get(),
    shutdown_secs: shutdown_secs.get(),
    stall_cpu: stall_cpu.get(),
    stall_cpu_holdoff: stall_cpu_holdoff.get(),
    stall_cpu_irqsoff: stall_cpu_irqsoff.get(),
    stall_cpu_block: stall_cpu_block.get(),
    stall_cpu_repeat: stall_cpu_repeat.get(),
    stall_gp_kthread: stall_gp_kthread.get(),
    n_barrier_cbs: n_barrier_cbs.get(),
    onoff_interval: onoff_interval.get(),
    onoff_holdoff: onoff_holdoff.get(),
    read_exit_delay: read_exit_delay.get(),
    read_exit_burst: read_exit_burst.get(),
    fwd_progress: fwd_progress.get(),
    fwd_progress_div: fwd_progress_div.get(),
    fwd_progress_holdoff: fwd_progress_holdoff.get(),
    fwd_progress_need_resched: fwd_progress_need_resched.get(),
    test_fwd_gp_stall: test_fwd_gp_stall.get(),
    test_fwd_oom: test_fwd_oom.get(),
    gp_cond: gp_cond.get(),
    gp_exp: gp_exp.get(),
    gp_normal: gp_normal.get(),
    gp_poll: gp_poll.get(),
    gp_sync: gp_sync.get(),
  };
}
/* ---------------- start, end ---------------- */

function rcu_torture_print_module_parms(tag: string): void {
  const t = tt();
  const shown = { nreaders: t.nrealreaders, nfakewriters: t.nrealfakewriters, fqs_duration: rcu_torture_fqs_duration(t.p, t.ops, false) };
  kapi.printk(`${t.ops.name}-torture:--- ${tag}: ${rcutorture_params.print_words(shown)}`);
}

/** rcu_torture_cleanup(): run by torture_shutdown on CPU 0 at shutdown_secs. */
async function rcu_torture_cleanup(): Promise<void> {
  const t = tt();
  await torture_cleanup_begin();
  // Wait for all RCU callbacks to fire.
  if (t.ops.cb_barrier !== undefined) await t.ops.cb_barrier();
  rcu_torture_stats_print(); // -After- the stats thread is stopped!
  const { flags, gp_seq } = t.ops.get_gp_data();
  const total = t.ops.gp_diff(gp_seq, load(sw(T_START_GP)));
  kapi.printk(`${t.ops.name}:  End-test grace-period state: g${gp_seq} f${hexFlags(flags)} total-gps=${total}`);
  if (load(sw(T_ERROR)) !== 0 || load(sw(T_BARRIER_ERROR)) !== 0) rcu_torture_print_module_parms('End of test: FAILURE');
  else if (t.hotplug && torture_onoff_failures()) rcu_torture_print_module_parms('End of test: RCU_HOTPLUG');
  else rcu_torture_print_module_parms('End of test: SUCCESS');
  await torture_cleanup_end();
}

/**
 * rcu_torture_write_types(): the update-side primitives the writer picks from, those asked for
 * (all when none is) that the flavour has. A primitive asked for by name that the flavour lacks
 * (the Tasks RCU family has no polled or conditional ones, tasks-rude no call_rcu()) is
 * `rcu_torture_write_types: gp_X without primitives.` (printed by CPU 0).
 */
function computeSynctypes(p: RcuTortureParams, ops: RcuTortureOps, say: boolean): SyncType[] {
  const all = !p.gp_cond && !p.gp_exp && !p.gp_normal && !p.gp_poll && !p.gp_sync;
  const s: SyncType[] = [];
  const pick = (asked: boolean, has: boolean, type: SyncType, name: string): void => {
    if ((all || asked) && has) s.push(type);
    else if (asked && !has && say) kapi.printk(`rcu_torture_write_types: ${name} without primitives.`);
  };
  pick(p.gp_normal, ops.call !== undefined, 'RTWS_DEF_FREE', 'gp_normal');
  pick(p.gp_exp, true, 'RTWS_EXP_SYNC', 'gp_exp');
  pick(p.gp_cond, ops.get_gp_state !== undefined && ops.cond_sync !== undefined, 'RTWS_COND_GET', 'gp_cond');
  pick(p.gp_poll, ops.start_gp_poll !== undefined && ops.poll_gp_state !== undefined, 'RTWS_POLL_GET', 'gp_poll');
  pick(p.gp_sync, true, 'RTWS_SYNC', 'gp_sync');
  return s;
}

/** Guest module entry, on every CPU: kernel subsystems, then this CPU's torture tasks. */
export function boot(cpu: number): void {
  const p = readParams();
  const ops = rcu_torture_ops_of(p.torture_type);
  // The kernel's RCU boots whatever rcutorture is asked to test, even a type it refuses.
  (ops ?? rcu_ops).init(cpu);
  slub_init();
  torture_init_begin(ops?.name ?? p.torture_type, p.verbose);
  if (ops === undefined) {
    if (cpu === 0) {
      kapi.printk(`rcu-torture: invalid torture type: "${p.torture_type}"`);
      kapi.printk(`rcu-torture types: ${RCU_TORTURE_TYPES.join(' ')}`);
      kapi.powerOff();
    }
    return;
  }
  rcu_torture_init_srcu_lockdep(cpu);
  const n = kapi.nrCpuIds;
  const nrealreaders = p.nreaders >= 0 ? p.nreaders : Math.max(1, n - 2 - p.nreaders);
  const nrealfakewriters = p.nfakewriters >= 0 ? p.nfakewriters : Math.max(0, n - 2 - p.nfakewriters);
  const { st, elems, perCpu } = rcu_torture_shm(n);
  const cb = rcu_callback('rcu_torture_cb', rcu_torture_cb);
  const barrierCb = rcu_callback('rcu_torture_barrier_cbf', rcu_torture_barrier_cbf);
  const t: Torture = {
    p,
    ops,
    st,
    elems,
    perCpu,
    lock: DEFINE_SPINLOCK('rcu_torture_lock'),
    nrealreaders,
    nrealfakewriters,
    synctypes: computeSynctypes(p, ops, cpu === 0),
    cb,
    barrierCb,
    rdrCb: rcu_callback('rcu_torture_rdr_free', rcu_torture_rdr_free),
    payloadCache: null,
    rdrCache: null,
    hotplug: kapi.config.kconfig.get('CONFIG_HOTPLUG_CPU') === 'y',
  };
  setTorture(t);
  if (cpu === 0) {
    rcu_torture_fqs_duration(p, ops, true);
    rcu_torture_print_module_parms('Start of test');
    const { flags, gp_seq } = ops.get_gp_data();
    Atomics.store(kapi.shm, st.base + T_START_GP, gp_seq);
    kapi.printk(`${ops.name}:  Start-test grace-period state: g${gp_seq} f${hexFlags(flags)}`);
  }
  // The system kthreads, spread over the CPUs in this order (torture_spread_here()): with two
  // or more CPUs the stats kthread (kmem_cache_create() under cpus_read_lock()) and torture_onoff
  // (slub_cpu_dead() under the hotplug write lock) start on different CPUs.
  if (torture_spread_here()) torture_create_kthread(rcu_torture_writer, 'rcu_torture_writer');
  if (torture_spread_here() && p.stat_interval > 0) torture_create_kthread(rcu_torture_stats, 'rcu_torture_stats');
  if (torture_spread_here() && t.hotplug) torture_onoff_init(p.onoff_holdoff * HZ, p.onoff_interval);
  if (torture_spread_here()) torture_shutdown_init(p.shutdown_secs, rcu_torture_cleanup);
  // rcu_torture_barrier_init(): a flavour without call_rcu() or rcu_barrier() (tasks-rude) skips the test.
  const barrier = p.n_barrier_cbs > 0 && ops.call !== undefined && ops.cb_barrier !== undefined;
  if (cpu === 0 && p.n_barrier_cbs > 0 && !barrier) {
    kapi.printk(`${p.torture_type}-torture: Call or barrier ops missing for ${ops.name},`);
    kapi.printk(`${p.torture_type}-torture: RCU barrier testing omitted from run.`);
  }
  if (torture_spread_here() && barrier) torture_create_kthread(rcu_torture_barrier, 'rcu_torture_barrier');
  // Departure: the stutter period is capped at half the stats interval, so that every
  // interval sees the writer run (parse-console flags equal `ver:` in consecutive stats as a
  // GP hang). The kernel gets this from stat_interval=15 > stutter=5; short runs here use a
  // stat_interval of a few seconds (harness/config/suite_defaults.ts).
  if (torture_spread_here() && p.stutter > 0) {
    const cap = p.stat_interval > 0 ? Math.floor((p.stat_interval * HZ) / 2) : p.stutter * HZ;
    torture_stutter_init(Math.max(1, Math.min(p.stutter * HZ, cap)));
  }
  if (torture_spread_here() && p.test_no_idle_hz) torture_shuffle_init(p.shuffle_interval * HZ);
  // Readers on CPUs 1.. (CPU 0 keeps the writer and system kthreads), round robin.
  const others = Math.max(1, n - 1);
  for (let r = 0; r < nrealreaders; r++) {
    const on = n === 1 ? 0 : 1 + (r % others);
    if (on === cpu) torture_create_kthread(() => rcu_torture_reader(r), 'rcu_torture_reader');
  }
  for (let f = 0; f < nrealfakewriters; f++) {
    const on = n === 1 ? 0 : 1 + (f % others);
    if (on === cpu) torture_create_kthread(rcu_torture_fakewriter, 'rcu_torture_fakewriter');
  }
  for (let b = 0; barrier && b < p.n_barrier_cbs; b++) {
    if (torture_spread_here()) torture_create_kthread(() => rcu_torture_barrier_cbs(b), 'rcu_torture_barrier_cbs');
  }
  rcu_torture_stall_init(cpu, p, ops);
  rcu_torture_fqs_init({ ...p, fqs_duration: rcu_torture_fqs_duration(p, ops, false) }, ops);
  rcu_torture_read_exit_init(p);
  rcu_torture_fwd_prog_init(p, ops);
  torture_init_end();
}
