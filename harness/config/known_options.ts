/*
 * The registry of every option a scenario may set: Kconfig symbols (`CONFIG_X`) and boot
 * parameters (`rcutorture.nreaders`, `maxcpus`). It is ONE table on purpose: a helper who models
 * a new option appends a row here and nowhere else.
 *
 * Guarantees: an option missing from this table, or a value it does not accept, is a config error
 * (TortureError naming file:line), never silently ignored — a scenario must not appear to test
 * something the model does not do. Names and types are the kernel's: the Kconfig symbols of
 * kvm.sh's scenario fragments, rcutorture's and locktorture's torture_param()s (int unless the
 * kernel declares bool), Tree RCU's and rcupdate's module_param()s.
 *
 * Deliberately not here: what an option DOES. The guest (harness/torture/, kernels/) reads the
 * merged values from its GuestSpec; this file only says which names and values are accepted.
 */

import { TORTURE_SUITES, type TortureSuite } from '../suites/index.js';
import { LOCK_TORTURE_TYPES } from '../torture/lock_torture.js';
import { RCU_TORTURE_TYPES } from '../../kernels/rcu/rcu_torture_ops.js';
import { param_parse } from '../../kernels/moduleparam.js';

export interface KnownOption {
  /** `CONFIG_NR_CPUS`, `rcutorture.stat_interval`, `maxcpus`. */
  readonly key: string;
  readonly kind: 'kconfig' | 'boot';
  /** Suites in which the option means something. */
  readonly suites: readonly TortureSuite[];
  /** Whether `value` is acceptable (a whole-value pattern, or the kernel's own kstrto* rule). */
  readonly accepts: (value: string) => boolean;
  /** What a good value looks like, for error messages ("y or n", "an integer >= 0"). */
  readonly expect: string;
  /**
   * For def_bool-like symbols the model computes (CONFIG_TREE_RCU): the value derived from the
   * merged Kconfig. Such symbols cannot be set, only checked with `#CHECK#`.
   */
  readonly derive?: (kconfig: Readonly<Record<string, string>>) => string;
}

type Value = { readonly accepts: (value: string) => boolean; readonly expect: string };

function re(pattern: RegExp, expect: string): Value {
  return { accepts: (v) => pattern.test(v), expect };
}

const BOTH: readonly TortureSuite[] = TORTURE_SUITES;
const RCU: readonly TortureSuite[] = ['rcu'];
const LOCK: readonly TortureSuite[] = ['lock'];

/** Kconfig tristate without modules: `N` is accepted as the kernel's scripts accept it. */
const KBOOL: Value = re(/^(y|n|N)$/, 'y or n');
const KNUM: Value = re(/^(\d+|0x[0-9a-fA-F]+)$/, 'a decimal or 0x-hex number');
const KSTR: Value = re(/^"[^"]*"$/, 'a "quoted string"');
/**
 * Kernel bool module parameter: param_set_bool()'s rule, the same function the guest's
 * module_param() uses (a bare `name` is true; y/Y/1/n/N/0, on/off).
 */
const BBOOL: Value = { accepts: (v) => param_parse('bool', v) !== undefined, expect: '0, 1, y or n' };
const UINT: Value = re(/^\d+$/, 'an integer >= 0');
const INT: Value = re(/^-?\d+$/, 'an integer');
const POS: Value = re(/^[1-9]\d*$/, 'an integer >= 1');

function oneOf(...values: readonly string[]): Value {
  return { accepts: (v) => values.includes(v), expect: `one of ${values.join(' ')}` };
}

function kc(key: string, v: Value, suites: readonly TortureSuite[] = BOTH): KnownOption {
  return { key: `CONFIG_${key}`, kind: 'kconfig', suites, accepts: v.accepts, expect: v.expect };
}

function derived(key: string, derive: (k: Readonly<Record<string, string>>) => string): KnownOption {
  return { key: `CONFIG_${key}`, kind: 'kconfig', suites: BOTH, accepts: KBOOL.accepts, expect: KBOOL.expect, derive };
}

function bp(key: string, v: Value, suites: readonly TortureSuite[]): KnownOption {
  return { key, kind: 'boot', suites, accepts: v.accepts, expect: v.expect };
}

const yes = (k: Readonly<Record<string, string>>, key: string): boolean => k[key] === 'y';

/** Upper bound of CPUs per guest (worker threads); more is a config error. */
export { MAX_CPUS as MAX_GUEST_CPUS } from '../shm/layout.js';

export const KNOWN_OPTIONS: readonly KnownOption[] = [
  // --- Kconfig: CFcommon
  kc('RCU_TORTURE_TEST', KBOOL),
  kc('LOCK_TORTURE_TEST', KBOOL),
  kc('PRINTK_TIME', KBOOL),
  kc('PARAVIRT', KBOOL),
  kc('KCSAN_ASSUME_PLAIN_WRITES_ATOMIC', KBOOL),
  kc('KCSAN_REPORT_VALUE_CHANGE_ONLY', KBOOL),
  // --- Kconfig: machine and preemption
  kc('SMP', KBOOL),
  kc('NR_CPUS', KNUM),
  kc('MAXSMP', KBOOL),
  kc('CPUMASK_OFFSTACK', KBOOL),
  kc('HOTPLUG_CPU', KBOOL),
  kc('PREEMPT_NONE', KBOOL),
  kc('PREEMPT_VOLUNTARY', KBOOL),
  kc('PREEMPT', KBOOL),
  kc('PREEMPT_AUTO', KBOOL),
  kc('PREEMPT_DYNAMIC', KBOOL),
  kc('HZ_PERIODIC', KBOOL),
  kc('NO_HZ_IDLE', KBOOL),
  kc('NO_HZ_FULL', KBOOL),
  kc('EXPERT', KBOOL),
  // --- Kconfig: lock debugging
  kc('DEBUG_LOCK_ALLOC', KBOOL),
  kc('PROVE_LOCKING', KBOOL),
  kc('DEBUG_LOCKING_API_SELFTESTS', KBOOL),
  kc('DEBUG_OBJECTS', KBOOL),
  kc('DEBUG_OBJECTS_RCU_HEAD', KBOOL),
  // --- Kconfig: RCU
  kc('RCU_EXPERT', KBOOL),
  kc('RCU_FAST_NO_HZ', KBOOL),
  kc('RCU_TRACE', KBOOL),
  kc('RCU_FANOUT', KNUM),
  kc('RCU_FANOUT_LEAF', KNUM),
  kc('RCU_NOCB_CPU', KBOOL),
  kc('RCU_BOOST', KBOOL),
  kc('RCU_EQS_DEBUG', KBOOL),
  kc('RCU_LAZY', KBOOL),
  kc('RCU_STRICT_GRACE_PERIOD', KBOOL),
  kc('PROVE_RCU_LIST', KBOOL),
  kc('RCU_KTHREAD_PRIO', KNUM),
  kc('CMDLINE', KSTR),
  // --- Kconfig symbols the model derives (def_bool in the kernel): only #CHECK#-able.
  derived('PREEMPT_RCU', (k) => (yes(k, 'CONFIG_PREEMPT') ? 'y' : 'n')),
  derived('TREE_RCU', (k) => (yes(k, 'CONFIG_PREEMPT') ? 'n' : 'y')),
  derived('PROVE_RCU', (k) => (yes(k, 'CONFIG_PROVE_LOCKING') ? 'y' : 'n')),
  derived('LOCKDEP', (k) => (yes(k, 'CONFIG_PROVE_LOCKING') || yes(k, 'CONFIG_DEBUG_LOCK_ALLOC') ? 'y' : 'n')),

  // --- Boot: generic
  bp('maxcpus', POS, BOTH),
  bp('nr_cpus', POS, BOTH),
  bp('hung_task_timeout_secs', UINT, BOTH),
  bp('watchdog_thresh', POS, BOTH),
  // Callback-offloaded CPUs (a cpulist): accepted, not modelled (no offloading, as CONFIG_RCU_NOCB_CPU).
  bp('rcu_nocbs', re(/^(\d+(-\d+)?)(,\d+(-\d+)?)*$/, 'a CPU list such as 0-1,3-7'), RCU),
  // Planted bugs (ours, as the kernel's test_* switches): every N-th waking unlock forgets it.
  bp('mutex.test_lost_wakeup', UINT, BOTH),
  bp('spinlock.test_lost_kick', UINT, BOTH),
  // Planted bug: every N-th run-token hand-off to a waiting executor is lost (harness/cpu/run_tokens.ts).
  bp('sched.test_lost_token', UINT, BOTH),
  // Planted bug: _cpu_down() runs the *_DEAD teardowns (slub_cpu_dead, rcutree_dead_cpu) before the CPU is dead
  // (rcu suite: locktorture registers no DEAD callback that could notice).
  bp('cpuhp.test_dead_early', BBOOL, RCU),
  // Diagnostic: a cpuhp_enter line (with the CPU that runs it) per control-CPU hotplug callback.
  bp('cpuhp.debug', BBOOL, BOTH),
  bp('torture.disable_onoff_at_boot', BBOOL, BOTH),
  bp('torture.random_shuffle', BBOOL, BOTH),
  // The seed of every random stream (harness/torture/common.ts); the driver sets it from --seed.
  bp('torture.random_seed', UINT, BOTH),
  bp('torture.dump_random_streams', BBOOL, BOTH),
  bp('torture.test_leak_mb', UINT, BOTH),
  bp('torture.verbose_sleep_frequency', UINT, BOTH),
  bp('torture.verbose_sleep_duration', UINT, BOTH),

  // --- Boot: rcutorture
  bp('rcutorture.torture_type', oneOf(...RCU_TORTURE_TYPES), RCU),
  bp('rcutorture.nreaders', INT, RCU),
  bp('rcutorture.nfakewriters', INT, RCU),
  bp('rcutorture.stat_interval', UINT, RCU),
  bp('rcutorture.verbose', UINT, RCU),
  bp('rcutorture.test_no_idle_hz', BBOOL, RCU),
  bp('rcutorture.shuffle_interval', UINT, RCU),
  bp('rcutorture.stutter', UINT, RCU),
  bp('rcutorture.onoff_interval', UINT, RCU),
  bp('rcutorture.onoff_holdoff', UINT, RCU),
  bp('rcutorture.shutdown_secs', UINT, RCU),
  bp('rcutorture.irqreader', UINT, RCU),
  bp('rcutorture.fqs_duration', UINT, RCU),
  bp('rcutorture.fqs_holdoff', UINT, RCU),
  bp('rcutorture.fqs_stutter', UINT, RCU),
  bp('rcutorture.test_boost', UINT, RCU),
  bp('rcutorture.test_boost_interval', UINT, RCU),
  bp('rcutorture.test_boost_duration', UINT, RCU),
  bp('rcutorture.test_boost_holdoff', UINT, RCU),
  bp('rcutorture.n_barrier_cbs', UINT, RCU),
  bp('rcutorture.fwd_progress', INT, RCU),
  bp('rcutorture.fwd_progress_holdoff', UINT, RCU),
  bp('rcutorture.fwd_progress_div', UINT, RCU),
  bp('rcutorture.gp_cond', BBOOL, RCU),
  bp('rcutorture.gp_cond_full', BBOOL, RCU),
  bp('rcutorture.gp_cond_exp', BBOOL, RCU),
  bp('rcutorture.gp_cond_exp_full', BBOOL, RCU),
  bp('rcutorture.gp_exp', BBOOL, RCU),
  bp('rcutorture.gp_normal', BBOOL, RCU),
  bp('rcutorture.gp_poll', BBOOL, RCU),
  bp('rcutorture.gp_poll_full', BBOOL, RCU),
  bp('rcutorture.gp_poll_exp', BBOOL, RCU),
  bp('rcutorture.gp_poll_exp_full', BBOOL, RCU),
  bp('rcutorture.gp_sync', BBOOL, RCU),
  bp('rcutorture.stall_cpu', UINT, RCU),
  bp('rcutorture.stall_cpu_holdoff', UINT, RCU),
  bp('rcutorture.stall_cpu_irqsoff', UINT, RCU),
  bp('rcutorture.stall_cpu_block', UINT, RCU),
  bp('rcutorture.stall_cpu_repeat', UINT, RCU),
  bp('rcutorture.stall_gp_kthread', UINT, RCU),
  bp('rcutorture.read_exit_delay', UINT, RCU),
  bp('rcutorture.read_exit_burst', UINT, RCU),
  bp('rcutorture.nocbs_nthreads', UINT, RCU),
  bp('rcutorture.nocbs_toggle', UINT, RCU),
  bp('rcutorture.object_debug', UINT, RCU),
  bp('rcutorture.extendables', UINT, RCU),
  bp('rcutorture.leakpointer', UINT, RCU),
  bp('rcutorture.reader_flavor', UINT, RCU),
  bp('rcutorture.test_nmis', UINT, RCU),
  bp('rcutorture.test_srcu_lockdep', UINT, RCU),
  bp('rcutorture.preempt_duration', UINT, RCU),
  bp('rcutorture.preempt_interval', UINT, RCU),
  // --- Boot: Tree RCU and friends
  bp('rcutree.gp_preinit_delay', UINT, RCU),
  // Planted bug (ours): 1 = GPs end without waiting for QSes, 2 = GPs ignore preempted readers.
  bp('rcutree.test_broken_gp', oneOf('0', '1', '2'), RCU),
  // Planted bugs (ours): a CPU that loses its QSes; barrier_lock inside rcu_node in rcu_cpu_starting();
  // rcu_gp_init() sleeping under an rcu_node lock; rcutree_migrate_callbacks() that forgets the merge.
  bp('rcutree.test_lost_qs_cpu', INT, RCU),
  bp('rcutree.test_lock_inversion', BBOOL, RCU),
  bp('rcutree.test_sleep_under_rcu_node', BBOOL, RCU),
  bp('rcutree.test_skip_migrate', BBOOL, RCU),
  bp('rcutree.gp_init_delay', UINT, RCU),
  bp('rcutree.gp_cleanup_delay', UINT, RCU),
  bp('rcupdate.rcu_self_test', BBOOL, RCU),
  bp('rcupdate.rcu_cpu_stall_timeout', UINT, RCU),
  bp('rcupdate.rcu_cpu_stall_suppress', UINT, RCU),
  bp('slub.debug_key_under_slab_mutex', oneOf('0', '1'), RCU),
  // Planted bug (ours): SLUB's slow path takes the cpu slab lock without disabling irqs.
  bp('slub.test_local_lock_irqs_on', BBOOL, RCU),
  bp('rcutree.rcu_fanout_leaf', re(/^([2-9]|[12]\d|3[0-2])$/, 'an integer from 2 to 32'), RCU),
  bp('rcutree.rcu_fanout_exact', BBOOL, RCU),
  bp('rcutree.jiffies_till_next_fqs', POS, RCU),
  bp('rcutree.dump_tree', BBOOL, RCU),

  // --- Boot: locktorture
  bp('locktorture.torture_type', oneOf(...LOCK_TORTURE_TYPES), LOCK),
  bp('locktorture.ops_module', re(/^\S+$/, 'the path of a lock-ops ES module (set by --ops)'), LOCK),
  bp('locktorture.nwriters_stress', INT, LOCK),
  bp('locktorture.nreaders_stress', INT, LOCK),
  bp('locktorture.stat_interval', UINT, LOCK),
  bp('locktorture.verbose', UINT, LOCK),
  bp('locktorture.shuffle_interval', UINT, LOCK),
  bp('locktorture.stutter', UINT, LOCK),
  bp('locktorture.shutdown_secs', UINT, LOCK),
  bp('locktorture.onoff_interval', UINT, LOCK),
  bp('locktorture.onoff_holdoff', UINT, LOCK),
  bp('locktorture.long_hold', UINT, LOCK),
  bp('locktorture.nested_locks', re(/^[0-8]$/, 'an integer from 0 to 8 (MAX_NESTED_LOCKS)'), LOCK),
];

const BY_KEY: ReadonlyMap<string, KnownOption> = new Map(KNOWN_OPTIONS.map((o) => [o.key, o]));

/** The row for `key`, or undefined when the model does not know the option. */
export function knownOption(key: string): KnownOption | undefined {
  return BY_KEY.get(key);
}

/** Rows of one kind applicable to a suite (for README tables and error hints). */
export function knownOptionsFor(suite: TortureSuite, kind: KnownOption['kind']): KnownOption[] {
  return KNOWN_OPTIONS.filter((o) => o.kind === kind && o.suites.includes(suite));
}
