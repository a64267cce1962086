/*
 * objecttorture: a concurrent object (a queue, a stack, a ring buffer, a map over a
 * SharedArrayBuffer) tortured as locktorture tortures a lock, and judged by linearizability.
 *
 * Stress tasks (one per CPU by default, then migrating, shuffled and moved by CPU hotplug as
 * every torture kthread) call the object's operations (object_ops.ts) with seeded arguments, and
 * record each call's invocation and response with the machine's clock (local_clock(): one clock
 * for every CPU) in shared memory (object_history.ts). When the test ends, the CPU running
 * the cleanup checks the whole history against the object's sequential specification
 * (harness/linearizability/: Wing–Gong/Lowe with memoisation, P-compositionality by the spec's
 * partition) and prints the verdict; a violation is printed with its minimal non-linearizable
 * sub-history as a per-thread timeline, and fails the test.
 *
 * How the calls are made to collide (there is no kernel module to follow; the shape is
 * locktorture's):
 *   - the budget `nops` of recorded calls is spread over the test in bursts of `burst` calls,
 *     started by every task at the same jiffy (a shared schedule), so calls happen under the
 *     hotplug and shuffling of the whole run, not only in its first second;
 *   - before each call of a burst, the tasks meet at a spinning rendezvous of at most `align_us`
 *     microseconds (as jcstress aligns its actors): the calls of different CPUs start within a
 *     microsecond or so of each other, which is what turns a race window of a few instructions
 *     into one that a short run hits.
 *
 * Output, in locktorture's shapes (recheck and the live display read them with the one console
 * grammar, harness/formats/console_lines.ts):
 *   <type>-torture:--- Start of test: nthreads=N nops=N ...
 *   <type>-torture: Writes:  Total: T  Max/Min: a/b   Fail: f !!!   (calls by all tasks; Max/Min per task)
 *   <type>-torture: linearizable: N operations by T tasks (checked in X ms)
 *   <type>-torture: !!! not linearizable: N operations by T tasks; minimal history: K operations after F (state S)
 *   <type>-torture:   <the timeline's lines>
 *   <type>-torture:--- End of test: SUCCESS|FAILURE|OBJECT_HOTPLUG: <the same parameters>
 */

import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { HZ, kapi } from '../kapi.js';
import { ModuleParams } from '../../kernels/moduleparam.js';
import { repoRoot } from '../lib/repo_root.js';
import { checkLinearizable } from '../linearizability/check.js';
import { opText, type HistoryOp } from '../linearizability/history.js';
import { minimalViolation } from '../linearizability/shrink.js';
import { timelineText } from '../linearizability/timeline.js';
import {
  TOROUT_STRING,
  VERBOSE_TOROUT_STRING,
  torture_cleanup_begin,
  torture_cleanup_end,
  torture_create_kthread,
  torture_init_begin,
  torture_kthread_stopping,
  torture_must_stop,
  torture_onoff_failures,
  torture_onoff_init,
  torture_onoff_stats,
  torture_random,
  torture_random_state,
  torture_shuffle_init,
  torture_shutdown_init,
  torture_sleep_interruptible,
  torture_spread_here,
} from './common.js';
import { ObjectHistory, RESULT_SYMBOL, RESULT_WORDS, SLOT_F64, SLOT_I32, HISTORY_F64_SYMBOL, HISTORY_I32_SYMBOL, writeCheckRecord, type ObjectCheckRecord } from './object_history.js';
import { checkObjectModule, isObjectValue, type UserObjectOps } from './object_ops.js';
import { moduleUrl } from './user_ops.js';

/* ---------------- parameters ---------------- */

/** The shipped example objects (configs/object/examples/), by torture_type; `user` is --ops. */
export const OBJECT_EXAMPLES = {
  locked_queue: 'locked_queue.mjs',
  racy_ring: 'racy_ring.mjs',
  lossy_queue: 'lossy_queue.mjs',
} as const;
export const OBJECT_TORTURE_TYPES = [...Object.keys(OBJECT_EXAMPLES), 'user'] as const;

export const objecttorture_params = new ModuleParams('objecttorture', ['object']);
const op = objecttorture_params;
const nthreads = op.param('int', 'nthreads', -1, 'Number of stress tasks calling the object (-1: two per CPU)');
const nops = op.param('int', 'nops', 4000, 'Calls recorded and checked (the history length)', { min: 1, max: 100_000 });
const burst = op.param('int', 'burst', 16, 'Calls per burst (all tasks start a burst at the same jiffy)', { min: 1 });
const align_us = op.param('int', 'align_us', 50, 'Most microseconds a task spins at the rendezvous before each call, 0=none', { min: 0 });
const stat_interval = op.param('int', 'stat_interval', 60, 'Number of seconds between stats printk()s', { min: 0 });
const verbose = op.param('int', 'verbose', 1, 'Enable verbose debugging printk()s', { min: 0 });
const shuffle_interval = op.param('int', 'shuffle_interval', 3, 'Number of jiffies between shuffles, 0=disable', { min: 0 });
const shutdown_secs = op.param('int', 'shutdown_secs', 0, 'Shutdown time (s), <= zero to disable.', { min: 0 });
const onoff_interval = op.param('int', 'onoff_interval', 0, 'Time between CPU hotplugs (jiffies), 0=disable', { min: 0 });
const onoff_holdoff = op.param('int', 'onoff_holdoff', 0, 'Time after boot before CPU hotplugs (s)', { min: 0 });
export const object_torture_type = op.param('charp', 'torture_type', 'locked_queue', 'Object to torture (a shipped example, or user for --ops)', {
  values: OBJECT_TORTURE_TYPES,
  quiet: true,
});
export const object_ops_module = op.param('charp', 'ops_module', '', 'The object-ops ES module of torture_type user', {
  pattern: /^\S+$/,
  expect: 'the path of an object-ops ES module (set by --ops)',
  quiet: true,
});
const dump_history = op.param('bool', 'dump_history', false, 'Write every recorded call to object_calls.json (the benchmark reads it)', { quiet: true });
const check_steps = op.param('int', 'check_steps', 5_000_000, 'Most steps of the linearizability search (beyond: unknown)', { min: 1, quiet: true });
const check_mb = op.param('int', 'check_mb', 0, "Most MB the linearizability search's memo may hold, 0=a quarter of this CPU's heap (beyond: unknown)", { min: 0, quiet: true });
const check_secs = op.param('int', 'check_secs', 6, 'Most seconds of the linearizability search, before the shrink (beyond: unknown)', { min: 1, quiet: true });

/* ---------------- state ---------------- */

const CXT_CLAIMED = 0;
const CXT_ALIGN = 1;
const CXT_ERRORS = 2;
const CXT_START_J = 3;
const CXT_GO_US = 4;
const CXT_GO_ROUND = 5;
/** How far ahead of the last arrival the common start is (a waiter must see it before then). */
const ALIGN_LEAD_US = 3;
/** Per-task call counts follow the fixed words. */
const CXT_COUNTS = 16;

let obj: UserObjectOps | null = null;
let shared: Int32Array = new Int32Array(0);
let history: ObjectHistory | null = null;
let cxtBase = 0;
let realThreads = 0;
let ttype = 'locked_queue';

/** The module file of a torture type: a shipped example, or locktorture-style `user` with ops_module. */
export function objectModuleFile(type: string, opsModule: string): string {
  if (type === 'user') return opsModule;
  const f = OBJECT_EXAMPLES[type as keyof typeof OBJECT_EXAMPLES];
  return path.join(repoRoot(), 'configs', 'object', 'examples', f);
}

/* ---------------- stress tasks ---------------- */

/**
 * The rendezvous before a call: wait (spinning) until every task arrived at this round, or
 * `align_us` passed. The last to arrive does not release the others with a flag (they would see
 * it a cache-line transfer later, when its call is already over): it publishes a start time a
 * few microseconds ahead, and every task spins on the clock until then, so that the calls of
 * different CPUs start within a clock read of each other.
 */
function object_torture_align(): void {
  const us = align_us.get();
  if (us === 0 || realThreads < 2) return;
  const i32 = kapi.shm;
  const a = Atomics.add(i32, cxtBase + CXT_ALIGN, 1) + 1;
  const round = Math.ceil(a / realThreads);
  const until = performance.now() + us / 1000;
  if (a === round * realThreads) {
    // Last to arrive: the start, in microseconds of the machine's clock (local_clock()), as a
    // round-tagged pair; pairs with the Atomics.load of the waiters below.
    Atomics.store(i32, cxtBase + CXT_GO_US, (clockUs() + ALIGN_LEAD_US) | 0);
    Atomics.store(i32, cxtBase + CXT_GO_ROUND, round);
  } else {
    while (Atomics.load(i32, cxtBase + CXT_GO_ROUND) < round && performance.now() < until);
    if (Atomics.load(i32, cxtBase + CXT_GO_ROUND) < round) return;
  }
  const go = Atomics.load(i32, cxtBase + CXT_GO_US);
  // Modular: the word wraps after 2^31 us (35 min) of test; a start more than that ahead cannot be.
  // Bounded by the rendezvous' own limit too: a stale word never holds a CPU longer than align_us.
  while (((go - clockUs()) | 0) > 0 && performance.now() < until + ALIGN_LEAD_US / 1000);
}

/** The machine's clock in microseconds, as an int32 that wraps (compared modulo 2^32 above). */
function clockUs(): number {
  return Math.floor(kapi.localClockNs() / 1000) | 0;
}

/** One call: claim a history slot, invoke, respond. False when the budget is spent. */
async function object_torture_call(tid: number, seq: number, rand: () => number): Promise<boolean> {
  const o = obj as UserObjectOps;
  const h = history as ObjectHistory;
  const slot = Atomics.add(kapi.shm, cxtBase + CXT_CLAIMED, 1);
  if (slot >= h.slots) return false;
  const opIndex = rand() % o.operations.length;
  const operation = o.operations[opIndex] as (typeof o.operations)[number];
  const ctx = { thread: tid, seq };
  const arg = operation.arg?.(rand, ctx);
  if (!isObjectValue(arg)) throw new Error(`objecttorture: ${operation.name}'s arg() returned a ${typeof arg}: arguments must be numbers, booleans, null or undefined`);
  object_torture_align();
  h.invoke(slot, tid, opIndex, arg, kapi.localClockNs());
  let result = operation.call(shared, arg, ctx);
  if (typeof result === 'object' && result !== null) result = await kapi.sleepOn(Promise.resolve(result));
  const retNs = kapi.localClockNs();
  if (!isObjectValue(result)) throw new Error(`objecttorture: ${operation.name}() returned a ${typeof result}: results must be numbers, booleans, null or undefined`);
  h.respond(slot, result, retNs);
  Atomics.add(kapi.shm, cxtBase + CXT_COUNTS + tid, 1);
  return true;
}

/** The jiffies between bursts: the budget spread over most of the test (all of it if no shutdown). */
function burstGapJ(): number {
  const perTask = Math.ceil(nops.get() / Math.max(1, realThreads));
  const bursts = Math.max(1, Math.ceil(perTask / burst.get()));
  const secs = shutdown_secs.get();
  return secs > 0 ? Math.max(1, Math.floor((secs * HZ * 0.8) / bursts)) : 1;
}

async function object_torture_task(tid: number): Promise<void> {
  const trsp = torture_random_state();
  const rand = (): number => torture_random(trsp);
  const i32 = kapi.shm;
  Atomics.compareExchange(i32, cxtBase + CXT_START_J, 0, kapi.jiffies() + 1);
  const start = Atomics.load(i32, cxtBase + CXT_START_J);
  const gap = burstGapJ();
  let seq = 0;
  let next = 0;
  VERBOSE_TOROUT_STRING('object_torture_task task started');
  outer: while (!torture_must_stop()) {
    const at = start + next * gap;
    const now = kapi.jiffies();
    if (now < at) {
      if (await torture_sleep_interruptible(at - now)) break;
    }
    for (let k = 0; k < burst.get() && !torture_must_stop(); k++) {
      if (!(await object_torture_call(tid, seq++, rand))) break outer;
      const pp = kapi.preemptPoint();
      if (pp !== null) await pp;
    }
    // The next burst of the shared schedule: a late task (a loaded host) catches up back to back.
    next++;
  }
  // Budget spent: stay until the test stops, as every torture kthread does.
  while (!torture_must_stop()) await torture_sleep_interruptible(HZ);
  torture_kthread_stopping('object_torture_task');
}

/* ---------------- statistics and the check ---------------- */

function counts(): number[] {
  return Array.from({ length: realThreads }, (_, t) => Atomics.load(kapi.shm, cxtBase + CXT_COUNTS + t));
}

/** The stats line, in locktorture's `Writes:` shape (every call counts; Fail: the check failed). */
export function object_torture_stats_print(): void {
  if (obj === null) return;
  const c = counts();
  const sum = c.reduce((a, b) => a + b, 0);
  const fail = Atomics.load(kapi.shm, cxtBase + CXT_ERRORS) !== 0;
  TOROUT_STRING(`Writes:  Total: ${sum}  Max/Min: ${Math.max(0, ...c)}/${c.length > 0 ? Math.min(...c) : 0}   Fail: ${fail ? 1 : 0} ${fail ? '!!!' : ''}`);
  if (onoff_interval.get() > 0) TOROUT_STRING(torture_onoff_stats());
}

async function object_torture_stats(): Promise<void> {
  VERBOSE_TOROUT_STRING('object_torture_stats task started');
  do {
    await torture_sleep_interruptible(stat_interval.get() * HZ);
    if (torture_must_stop()) break;
    object_torture_stats_print();
  } while (!torture_must_stop());
  torture_kthread_stopping('object_torture_stats');
}

/**
 * Folded calls shown beside the minimal history, for the reader: the last ones linearized and
 * those still running when it starts (at most 8 in all, latest first kept).
 */
function contextOps(before: readonly HistoryOp[], ops: readonly HistoryOp[]): HistoryOp[] {
  const first = Math.min(...ops.map((o) => o.call));
  const last = new Set(before.slice(-4));
  return before.filter((o) => last.has(o) || o.ret === null || o.ret >= first).slice(-8);
}

/** Check the recorded history; print the verdict (and a violation's timeline). False on a violation. */
function object_torture_check(): boolean {
  const o = obj as UserObjectOps;
  const n = Math.min(Atomics.load(kapi.shm, cxtBase + CXT_CLAIMED), (history as ObjectHistory).slots);
  const ops = (history as ObjectHistory).read(n, o.operations.map((x) => x.name));
  const tasks = new Set(ops.map((x) => x.thread)).size;
  const t0 = performance.now();
  // The search is NP-complete: bounded in steps, in memo bytes (a CPU's heap share is a hard
  // limit, and running out of it kills the guest and its verdict) and in time (the guest must
  // finish its cleanup inside the driver's shutdown grace). Past any of them: unknown, INCONCLUSIVE.
  const maxMemoBytes = check_mb.get() > 0 ? check_mb.get() * 2 ** 20 : Math.floor(getHeapStatistics().heap_size_limit / 4);
  const r = checkLinearizable(ops, o.spec, { maxSteps: check_steps.get(), maxMemoBytes, deadline: t0 + check_secs.get() * 1000 });
  const base = { object: o.name, operations: ops.length, tasks, ...(dump_history.get() ? { dump: { opNames: o.operations.map((x) => x.name), slots: n } } : {}) };
  const resultBase = kapi.shmAlloc(RESULT_SYMBOL, RESULT_WORDS).base;
  if (r.kind !== 'violation') {
    const checkMs = Math.round(performance.now() - t0);
    if (r.kind === 'ok') TOROUT_STRING(`linearizable: ${ops.length} operations by ${tasks} tasks (checked in ${checkMs} ms)`);
    else TOROUT_STRING(`linearizability unknown: ${ops.length} operations by ${tasks} tasks: ${r.reason}`);
    writeCheckRecord(kapi.shm, resultBase, { ...base, verdict: r.kind === 'ok' ? 'linearizable' : 'unknown', checkMs });
    return true;
  }
  const m = minimalViolation(r.ops, o.spec, undefined, undefined, maxMemoBytes);
  const checkMs = Math.round(performance.now() - t0);
  const part = r.partition === null ? '' : ` (partition ${r.partition})`;
  if (m === null) {
    TOROUT_STRING(`!!! not linearizable: ${ops.length} operations by ${tasks} tasks${part} (checked in ${checkMs} ms)`);
    writeCheckRecord(kapi.shm, resultBase, { ...base, verdict: 'violation', checkMs });
    return false;
  }
  const state = JSON.stringify(m.state) ?? 'undefined';
  TOROUT_STRING(
    `!!! not linearizable: ${ops.length} operations by ${tasks} tasks${part}; ${m.minimal ? 'minimal' : 'shrunk (budget spent)'} history: ${m.ops.length} operations after ${m.before.length} (state ${state}) (checked in ${checkMs} ms)`,
  );
  const context = contextOps(m.before, m.ops);
  const contextIds = new Set(context.map((x) => x.id));
  for (const l of timelineText([...context, ...m.ops], { scale: 1000, digits: 3, unit: 'us', mark: (x) => (contextIds.has(x.id) ? '=' : '') })) TOROUT_STRING(`  ${l}`);
  TOROUT_STRING(`  (= linearized before; not linearizable from state ${state}: ${m.ops.map(opText).join(', ')})`);
  const rec: ObjectCheckRecord = { ...base, verdict: 'violation', checkMs, state, folded: m.before.length, minimal: m.minimal, ops: [...context.map((x) => ({ ...x, context: true })), ...m.ops.map((x) => ({ ...x, context: false }))] };
  writeCheckRecord(kapi.shm, resultBase, rec);
  return false;
}

function object_torture_print_module_parms(tag: string): void {
  kapi.printk(`${ttype}-torture:--- ${tag}: ${objecttorture_params.print_words({ nthreads: realThreads })}`);
}

async function object_torture_cleanup(): Promise<void> {
  await torture_cleanup_begin();
  if (!object_torture_check()) Atomics.add(kapi.shm, cxtBase + CXT_ERRORS, 1);
  object_torture_stats_print();
  if (Atomics.load(kapi.shm, cxtBase + CXT_ERRORS) !== 0) {
    object_torture_print_module_parms('End of test: FAILURE');
    kapi.noteFailure(`${ttype}-torture: End of test: FAILURE`);
  } else if (torture_onoff_failures()) {
    object_torture_print_module_parms('End of test: OBJECT_HOTPLUG');
    kapi.noteFailure(`${ttype}-torture: End of test: OBJECT_HOTPLUG`);
  } else {
    object_torture_print_module_parms('End of test: SUCCESS');
  }
  await torture_cleanup_end();
}

/* ---------------- boot ---------------- */

/** Load the object on this CPU (each executor imports its own instance) and give it its memory. */
async function object_torture_load(cpu: number): Promise<UserObjectOps> {
  const type = object_torture_type.get();
  const file = objectModuleFile(type, object_ops_module.get());
  const o = checkObjectModule(await import(moduleUrl(file)), file);
  const words = Math.max(1, Math.ceil(o.sharedBytes / 4));
  const region = kapi.shmAlloc(`object_torture.${o.name}`, words);
  shared = new Int32Array(kapi.shm.buffer, region.base * 4, words);
  o.init(shared, cpu);
  return o;
}

/** Guest module entry, on every CPU: load the object, create this CPU's stress tasks. */
export async function boot(cpu: number): Promise<void> {
  ttype = object_torture_type.get();
  if (ttype === 'user' && object_ops_module.get() === '') {
    torture_init_begin(ttype, verbose.get());
    if (cpu === 0) {
      kapi.printk('object-torture: torture_type user needs objecttorture.ops_module (--ops FILE)');
      kapi.noteFailure('objecttorture: no ops module');
      kapi.kthreadRun(async () => kapi.powerOff(), 'object_torture_init');
    }
    return;
  }
  obj = await object_torture_load(cpu);
  // The object's own name prefixes its lines (`racy_ring-torture:`), for a user module too.
  ttype = obj.name;
  torture_init_begin(ttype, verbose.get());
  const ncpus = kapi.nrCpuIds;
  // Two tasks per CPU by default, as locktorture's writers: a call that sleeps lets its CPU's other task call in the middle of it.
  realThreads = nthreads.get() > 0 ? nthreads.get() : 2 * ncpus;
  cxtBase = kapi.shmAlloc('object_torture_cxt', CXT_COUNTS + realThreads).base;
  const slots = nops.get();
  const f = kapi.shmAlloc(HISTORY_F64_SYMBOL, slots * SLOT_F64 * 2);
  const i = kapi.shmAlloc(HISTORY_I32_SYMBOL, slots * SLOT_I32);
  history = new ObjectHistory(new Float64Array(kapi.shm.buffer, f.base * 4, slots * SLOT_F64), new Int32Array(kapi.shm.buffer, i.base * 4, slots * SLOT_I32), slots);

  if (cpu === 0) object_torture_print_module_parms('Start of test');
  if (torture_spread_here() && onoff_interval.get() > 0) torture_onoff_init(onoff_holdoff.get() * HZ, onoff_interval.get());
  if (torture_spread_here() && shutdown_secs.get() > 0) torture_shutdown_init(shutdown_secs.get(), object_torture_cleanup);
  if (torture_spread_here() && shuffle_interval.get() > 0) torture_shuffle_init(shuffle_interval.get());
  for (let t = 0; t < realThreads; t++) {
    if (t % ncpus === cpu) {
      const tid = t;
      torture_create_kthread(() => object_torture_task(tid), 'object_torture_t');
    }
  }
  if (torture_spread_here() && stat_interval.get() > 0) torture_create_kthread(object_torture_stats, 'object_torture_s');
}
