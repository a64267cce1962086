/*
 * The registry of every option a scenario may set: Kconfig symbols (`CONFIG_X`) and boot
 * parameters (`rcutorture.nreaders`, `maxcpus`). The Kconfig rows are a table here; the boot rows
 * are derived from the parameters' declarations beside their readers (boot_params.ts), so a
 * helper who models a new boot parameter declares it there and touches nothing here.
 *
 * Guarantees: an option missing from this table, or a value it does not accept, is a config error
 * (TortureError naming file:line), never silently ignored — a scenario must not appear to test
 * something the model does not do; so is a refused boot parameter (the kernel has it, the model
 * does not). Names and types are the kernel's: the Kconfig symbols of kvm.sh's scenario
 * fragments; rcutorture's and locktorture's torture_param()s, Tree RCU's and rcupdate's
 * module_param()s, with the kernel's kstrto* rules (the same function the guest parses with).
 *
 * Deliberately not here: what an option DOES. The guest (harness/torture/, kernels/) reads the
 * merged values from its GuestSpec; this file only says which names and values are accepted.
 */

import { isTortureSuite, TORTURE_SUITES, type TortureSuite } from '../suites/index.js';
import type { ParamDecl } from '../../kernels/moduleparam.js';
import { DECLARED_PARAMS } from './boot_params.js';
import { rcu_select } from '../../kernels/rcu/rcu.js';

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
  /** A derived symbol a fragment may also set (a select-only Kconfig symbol: the setting is one input of `derive`). */
  readonly settable?: boolean;
  /** A boot parameter the model lacks: what it would control (setting it is bad input). */
  readonly refused?: string | undefined;
  /**
   * A derived symbol without a prompt that fragments set anyway (SRCU-U: `CONFIG_PREEMPT_COUNT=n`):
   * the setting is accepted and, as Kconfig does for a symbol only `select` decides, ignored.
   */
  readonly ignoresSet?: boolean;
}

type Value = { readonly accepts: (value: string) => boolean; readonly expect: string };

function re(pattern: RegExp, expect: string): Value {
  return { accepts: (v) => pattern.test(v), expect };
}

const BOTH: readonly TortureSuite[] = TORTURE_SUITES;

/** Kconfig tristate without modules: `N` is accepted as the kernel's scripts accept it. */
const KBOOL: Value = re(/^(y|n|N)$/, 'y or n');
const KNUM: Value = re(/^(\d+|0x[0-9a-fA-F]+)$/, 'a decimal or 0x-hex number');
const KSTR: Value = re(/^"[^"]*"$/, 'a "quoted string"');

function kc(key: string, v: Value, suites: readonly TortureSuite[] = BOTH): KnownOption {
  return { key: `CONFIG_${key}`, kind: 'kconfig', suites, accepts: v.accepts, expect: v.expect };
}

function derived(key: string, derive: (k: Readonly<Record<string, string>>) => string, settable = false): KnownOption {
  return { key: `CONFIG_${key}`, kind: 'kconfig', suites: BOTH, accepts: KBOOL.accepts, expect: KBOOL.expect, derive, settable };
}

/** A declared boot parameter as a registry row (its suites checked against the suite table). */
function bootOption(d: ParamDecl): KnownOption {
  const suites = d.suites ?? BOTH;
  for (const s of suites) if (!isTortureSuite(s)) throw new Error(`boot parameter ${d.name}: unknown suite ${s}`);
  return { key: d.name, kind: 'boot', suites: suites as readonly TortureSuite[], accepts: d.accepts, expect: d.expect, refused: d.refused };
}

/** A derived symbol whose setting Kconfig ignores (no prompt: only `select` decides it). */
function selected(key: string, derive: (k: Readonly<Record<string, string>>) => string): KnownOption {
  return { ...derived(key, derive), ignoresSet: true };
}

const NO = re(/^(n|N)$/, 'n (the model has none)');

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
  kc('PROVE_RAW_LOCK_NESTING', KBOOL),
  kc('LOCK_STAT', KBOOL),
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
  kc('FORCE_TASKS_RCU', KBOOL, ['rcu']),
  kc('FORCE_TASKS_RUDE_RCU', KBOOL, ['rcu']),
  kc('FORCE_TASKS_TRACE_RCU', KBOOL, ['rcu']),
  kc('TASKS_TRACE_RCU_READ_MB', KBOOL, ['rcu']),
  kc('CMDLINE', KSTR),
  // --- Kconfig: what SRCU-N/T/U switch off or on (the model has no kprobes or ftrace; its
  // atomic-sleep checks are always on)
  kc('KPROBES', NO),
  kc('FTRACE', NO),
  kc('DEBUG_ATOMIC_SLEEP', re(/^y$/, 'y (the model always checks sleeping in atomic context)')),
  // --- Kconfig symbols the model derives (def_bool in the kernel): only #CHECK#-able.
  derived('PREEMPT_RCU', (k) => (yes(k, 'CONFIG_PREEMPT') ? 'y' : 'n')),
  derived('TREE_RCU', (k) => (rcu_select((key) => k[key]) === 'tree' ? 'y' : 'n')),
  derived('TINY_RCU', (k) => (rcu_select((key) => k[key]) === 'tiny' ? 'y' : 'n')),
  derived('RCU_STALL_COMMON', (k) => (rcu_select((key) => k[key]) === 'tree' ? 'y' : 'n')),
  derived('PROVE_RCU', (k) => (yes(k, 'CONFIG_PROVE_LOCKING') ? 'y' : 'n')),
  derived('TINY_SRCU', (k) => (k['CONFIG_SMP'] === 'n' && !yes(k, 'CONFIG_PREEMPT') ? 'y' : 'n')),
  derived('TREE_SRCU', (k) => (k['CONFIG_SMP'] === 'n' && !yes(k, 'CONFIG_PREEMPT') ? 'n' : 'y')),
  selected('PREEMPT_COUNT', (k) => (yes(k, 'CONFIG_PREEMPT') || yes(k, 'CONFIG_DEBUG_ATOMIC_SLEEP') ? 'y' : 'n')),
  derived('LOCKDEP', (k) => (yes(k, 'CONFIG_PROVE_LOCKING') || yes(k, 'CONFIG_DEBUG_LOCK_ALLOC') || yes(k, 'CONFIG_LOCK_STAT') ? 'y' : 'n')),
  // The Tasks RCU family (kernels/rcu/tasks_*.ts): set by a fragment or selected by FORCE_*.
  derived('TASKS_RCU', (k) => (yes(k, 'CONFIG_TASKS_RCU') || yes(k, 'CONFIG_FORCE_TASKS_RCU') ? 'y' : 'n'), true),
  derived('TASKS_RUDE_RCU', (k) => (yes(k, 'CONFIG_TASKS_RUDE_RCU') || yes(k, 'CONFIG_FORCE_TASKS_RUDE_RCU') ? 'y' : 'n'), true),
  derived('TASKS_TRACE_RCU', (k) => (yes(k, 'CONFIG_TASKS_TRACE_RCU') || yes(k, 'CONFIG_FORCE_TASKS_TRACE_RCU') ? 'y' : 'n'), true),

  // --- Boot parameters: derived from their declarations (boot_params.ts).
  ...DECLARED_PARAMS.map(bootOption),
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
