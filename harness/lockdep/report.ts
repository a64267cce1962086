/*
 * The only file that formats lockdep report text. Shapes follow kernel/locking/lockdep.c
 * (print_circular_bug, print_deadlock_bug, print_usage_bug, print_irq_inversion_bug,
 * print_bad_irq_dependency, print_unlock_imbalance_bug, print_held_locks_bug, print_lockdep_off,
 * lockdep_rcu_suspicious, print_irqtrace_events) and the seed splat (examples/seed.jsonl).
 *
 * Every function returns the lines of one report; the caller prints them and decides about
 * debug_locks. Addresses are 0xffffffff80000000 + the lock's byte offset; code locations are
 * `fn (path/file.ts:line)` frames instead of `fn+0x../0x..`.
 */

import type { Graph } from './graph.js';
import { stateName, USAGE_STR, usageChars } from './usage.js';
import { E_TRACE } from './layout.js';
import { fnv1a } from '../lib/fnv1a.js';
import { ldWait, waitOuterOf } from './wait_types.js';

export interface ReportTask {
  readonly pid: number;
  readonly comm: string;
  readonly cpu: number;
}

/** One held_lock as reports print it. */
export interface HeldView {
  readonly cls: number;
  readonly read: number;
  readonly addr: number;
  /** The acquisition site (`at:`), a frame string. */
  readonly site: string;
  /** The stack id the site was read from (0 none, > 0 arena, < 0 an environment's stack token). */
  readonly siteId: number;
  /** A lock_sync() acquisition (print_circular_lock_scenario()'s `sync(`). */
  readonly sync?: boolean;
}

/** One irq on/off event of print_irqtrace_events(): its stamp and site ('' = never happened). */
export interface IrqEventView {
  readonly event: number;
  readonly site: string;
}

/** The task's irqtrace_events as print_irqtrace_events() prints them. */
export interface IrqTraceView {
  readonly events: number;
  readonly hardirqEnable: IrqEventView;
  readonly hardirqDisable: IrqEventView;
  readonly softirqEnable: IrqEventView;
  readonly softirqDisable: IrqEventView;
}

export interface IrqFlagsView {
  readonly hardirq: boolean;
  readonly softirq: boolean;
  readonly hardirqsEnabled: boolean;
  readonly softirqsEnabled: boolean;
}

export interface ReportCtx {
  readonly g: Graph;
  /** `<release> <build>`, e.g. "0.1.0-torture #1". */
  readonly release: string;
  readonly task: ReportTask;
  /** The task's held locks, bottom first (without the lock being acquired). */
  readonly held: readonly HeldView[];
  /** The current stack (dump_stack()). */
  readonly backtrace: readonly string[];
  /** The task's irq events, or null where they are not kept (the lines are then left out). */
  readonly irqTrace: IrqTraceView | null;
}

/** One BFS path entry: the class and the dependency entry that reached it (-1 for the root). */
export interface PathEntry {
  readonly cls: number;
  readonly edge: number;
}

export function lockAddress(addr: number): string {
  return (0xffffffff80000000n + BigInt(Math.max(0, Math.trunc(addr)))).toString(16).padStart(16, '0');
}

/** A pseudo instruction address for `[<...>]` code locations. */
function ipAddress(site: string): string {
  return (0xffffffff81000000n + BigInt(fnv1a(site) & 0xffffff)).toString(16).padStart(16, '0');
}

function banner(ctx: ReportCtx, title: string): string[] {
  return ['='.repeat(title.length), title, `${ctx.release} Not tainted`, '-'.repeat(title.length)];
}

/** __print_lock_name(): `name`, `name#N`, `name/N`. */
export function lockName(g: Graph, cls: number): string {
  return g.className(cls);
}

/** print_lock_name(): `(name){usage}-{outer:inner}`. */
export function lockNameFull(g: Graph, cls: number): string {
  const w = g.waitType(cls);
  const outer = waitOuterOf(g.classType(cls), w, g.rawLockNesting);
  return `(${g.className(cls)}){${usageChars(g.usage(cls))}}-{${outer}:${ldWait(w, g.rawLockNesting)}}`;
}

/** print_lock(): `<addr> (name){usage}-{o:i}, at: site`. */
export function printLock(g: Graph, h: HeldView): string {
  return `${lockAddress(h.addr)} ${lockNameFull(g, h.cls)}, at: ${h.site}`;
}

function trace(frames: readonly string[], spaces: number): string[] {
  const pad = ' '.repeat(spaces);
  return frames.map((f) => pad + f);
}

/** lockdep_print_held_locks(). */
export function heldLocks(ctx: ReportCtx): string[] {
  const { task, held } = ctx;
  if (held.length === 0) return [`no locks held by ${task.comm}/${task.pid}.`];
  const out = [`${held.length} lock${held.length > 1 ? 's' : ''} held by ${task.comm}/${task.pid}:`];
  held.forEach((h, i) => out.push(` #${i}: ${printLock(ctx.g, h)}`));
  return out;
}

/** dump_stack() as printed after `stack backtrace:`. */
export function dumpStack(ctx: ReportCtx): string[] {
  const t = ctx.task;
  return [
    `CPU: ${t.cpu} PID: ${t.pid} Comm: ${t.comm} Not tainted ${ctx.release}`,
    'Hardware name: torture guest (Node.js worker threads)',
    'Call Trace:',
    ...trace(ctx.backtrace, 1),
  ];
}

function tail(ctx: ReportCtx): string[] {
  return [...heldLocks(ctx), '', 'stack backtrace:', ...dumpStack(ctx)];
}

/** print_circular_bug(): `path` runs from the new lock (root) to the held lock (target). */
export function circularReport(ctx: ReportCtx, next: HeldView, prev: HeldView, path: readonly PathEntry[], current: readonly string[]): string[] {
  const g = ctx.g;
  const out = banner(ctx, 'WARNING: possible circular locking dependency detected');
  out.push(`${ctx.task.comm}/${ctx.task.pid} is trying to acquire lock:`, printLock(g, next), '');
  out.push('but task is already holding lock:', printLock(g, prev), '');
  out.push('which lock already depends on the new lock.', '', '');
  out.push('the existing dependency chain (in reverse order) is:');
  for (let i = path.length - 1; i >= 1; i--) {
    const p = path[i];
    if (p === undefined) continue;
    out.push('', `-> #${i} ${lockNameFull(g, p.cls)}:`, ...trace(g.stacks.getStack(g.edgeWord(p.edge, E_TRACE)), 6));
  }
  out.push('', `-> #0 ${lockNameFull(g, next.cls)}:`, ...trace(current, 6));
  out.push('', 'other info that might help us debug this:', '');
  const parent = path.length >= 2 ? (path[path.length - 2]?.cls ?? next.cls) : next.cls;
  if (parent !== next.cls) {
    out.push('Chain exists of:', `  ${lockName(g, next.cls)} --> ${lockName(g, parent)} --> ${lockName(g, prev.cls)}`, '');
  }
  out.push(' Possible unsafe locking scenario:', '');
  out.push('       CPU0                    CPU1', '       ----                    ----');
  out.push(`  ${prev.read !== 0 ? 'rlock' : 'lock'}(${lockName(g, prev.cls)});`);
  out.push(`                               lock(${lockName(g, parent)});`);
  out.push(`                               lock(${lockName(g, prev.cls)});`);
  out.push(`  ${next.read !== 0 ? 'rlock' : next.sync === true ? 'sync' : 'lock'}(${lockName(g, next.cls)});`);
  out.push('', ' *** DEADLOCK ***', '');
  out.push(...tail(ctx));
  return out;
}

/** print_deadlock_bug(): AA. */
export function recursiveReport(ctx: ReportCtx, next: HeldView, prev: HeldView): string[] {
  const g = ctx.g;
  const out = banner(ctx, 'WARNING: possible recursive locking detected');
  out.push(`${ctx.task.comm}/${ctx.task.pid} is trying to acquire lock:`, printLock(g, next), '');
  out.push('but task is already holding lock:', printLock(g, prev), '');
  out.push('other info that might help us debug this:');
  out.push(' Possible unsafe locking scenario:', '', '       CPU0', '       ----');
  out.push(`  lock(${lockName(g, prev.cls)});`, `  lock(${lockName(g, next.cls)});`);
  out.push('', ' *** DEADLOCK ***', '', ' May be due to missing lock nesting notation', '');
  out.push(...tail(ctx));
  return out;
}

/** print_unlock_imbalance_bug(). */
export function unlockImbalanceReport(ctx: ReportCtx, name: string, site: string): string[] {
  const out = banner(ctx, 'WARNING: bad unlock balance detected!');
  out.push(`${ctx.task.comm}/${ctx.task.pid} is trying to release lock (${name}) at:`);
  out.push(`[<${ipAddress(site)}>] ${site}`);
  out.push('but there are no more locks to release!', '', 'other info that might help us debug this:');
  out.push(...tail(ctx));
  return out;
}

function irqFlags(f: IrqFlagsView): string {
  const b = (x: boolean): number => (x ? 1 : 0);
  return `[HC${b(f.hardirq)}[${b(f.hardirq)}]:SC${b(f.softirq)}[${b(f.softirq)}]:HE${b(f.hardirqsEnabled)}:SE${b(f.softirqsEnabled)}]`;
}

/** `[<ip>] symbol` of a code location (`%px` / `%pS`); a location never recorded prints as the kernel's 0. */
function codeLocation(site: string): string {
  return site === '' ? '[<0000000000000000>] 0x0' : `[<${ipAddress(site)}>] ${site}`;
}

/** print_irqtrace_events(): nothing where the events are not kept. */
export function irqtraceEvents(t: IrqTraceView | null): string[] {
  if (t === null) return [];
  return [
    `irq event stamp: ${t.events}`,
    `hardirqs last  enabled at (${t.hardirqEnable.event}): ${codeLocation(t.hardirqEnable.site)}`,
    `hardirqs last disabled at (${t.hardirqDisable.event}): ${codeLocation(t.hardirqDisable.site)}`,
    `softirqs last  enabled at (${t.softirqEnable.event}): ${codeLocation(t.softirqEnable.site)}`,
    `softirqs last disabled at (${t.softirqDisable.event}): ${codeLocation(t.softirqDisable.site)}`,
  ];
}

/** print_usage_bug(): inconsistent lock state. */
export function usageBugReport(ctx: ReportCtx, self: HeldView, prevBit: number, newBit: number, flags: IrqFlagsView): string[] {
  const g = ctx.g;
  const out = banner(ctx, 'WARNING: inconsistent lock state');
  out.push(`inconsistent {${USAGE_STR[prevBit] ?? '?'}} -> {${USAGE_STR[newBit] ?? '?'}} usage.`);
  out.push(`${ctx.task.comm}/${ctx.task.pid} ${irqFlags(flags)} takes:`);
  out.push(printLock(g, self));
  out.push(`{${USAGE_STR[prevBit] ?? '?'}} state was registered at:`);
  out.push(...trace(g.stacks.getStack(g.usageTrace(self.cls, prevBit)), 2));
  out.push(...irqtraceEvents(ctx.irqTrace));
  out.push('', 'other info that might help us debug this:');
  out.push(' Possible unsafe locking scenario:', '', '       CPU0', '       ----');
  out.push(`  lock(${lockName(g, self.cls)});`, '  <Interrupt>', `    lock(${lockName(g, self.cls)});`);
  out.push('', ' *** DEADLOCK ***', '');
  out.push(...tail(ctx));
  return out;
}

/** print_irq_lock_scenario(). */
function irqLockScenario(g: Graph, safe: number, unsafe: number, prevCls: number, nextCls: number): string[] {
  let middle = prevCls;
  if (middle === safe) middle = nextCls;
  const out: string[] = [];
  if (middle !== unsafe) {
    out.push('Chain exists of:', `  ${lockName(g, safe)} --> ${lockName(g, middle)} --> ${lockName(g, unsafe)}`, '');
  }
  out.push(' Possible interrupt unsafe locking scenario:', '');
  out.push('       CPU0                    CPU1', '       ----                    ----');
  out.push(`  lock(${lockName(g, unsafe)});`);
  out.push('                               local_irq_disable();');
  out.push(`                               lock(${lockName(g, safe)});`);
  out.push(`                               lock(${lockName(g, middle)});`);
  out.push('  <Interrupt>', `    lock(${lockName(g, safe)});`);
  out.push('', ' *** DEADLOCK ***', '');
  return out;
}

/** print_lock_class_header(). */
function classHeader(g: Graph, cls: number, depth: number): string[] {
  const pad = ' '.repeat(depth);
  const out = [`${pad}->${lockNameFull(g, cls)} {`];
  const usage = g.usage(cls);
  for (let bit = 0; bit < 8; bit++) {
    if (usage & (1 << bit)) {
      const head = `${pad}   ${USAGE_STR[bit] ?? '?'} at:`;
      out.push(head, ...trace(g.stacks.getStack(g.usageTrace(cls, bit)), head.length - 3));
    }
  }
  out.push(`${pad} }`, `${pad} ... key      at: [<${lockAddress(cls * 64)}>] ${lockName(g, cls)}`);
  return out;
}

/** print_shortest_lock_dependencies(): from the BFS leaf back to the root. */
function shortestDependencies(g: Graph, path: readonly PathEntry[], rootTrace: readonly string[]): string[] {
  const out: string[] = [];
  for (let depth = path.length - 1; depth >= 0; depth--) {
    const p = path[depth];
    if (p === undefined) continue;
    out.push(...classHeader(g, p.cls, depth));
    out.push(`${' '.repeat(depth)} ... acquired at:`);
    out.push(...trace(p.edge >= 0 ? g.stacks.getStack(g.edgeWord(p.edge, E_TRACE)) : rootTrace, 2), '');
  }
  return out;
}

/** print_irq_inversion_bug(): `path` runs from the lock whose state changed (root) to `other`. */
export function irqInversionReport(ctx: ReportCtx, self: HeldView, path: readonly PathEntry[], forwards: boolean, irqclass: string): string[] {
  const g = ctx.g;
  const other = path[path.length - 1]?.cls ?? self.cls;
  const middle = path[1]?.cls ?? other;
  const out = banner(ctx, 'WARNING: possible irq lock inversion dependency detected');
  out.push(`${ctx.task.comm}/${ctx.task.pid} just changed the state of lock:`, printLock(g, self));
  out.push(forwards ? `but this lock took another, ${irqclass}-unsafe lock in the past:` : `but this lock was taken by another, ${irqclass}-safe lock in the past:`);
  out.push(lockNameFull(g, other), '', '', 'and interrupts could create inverse lock ordering between them.', '', '');
  out.push('other info that might help us debug this:');
  if (forwards) out.push(...irqLockScenario(g, self.cls, other, middle, other));
  else out.push(...irqLockScenario(g, other, self.cls, middle, self.cls));
  out.push(...heldLocks(ctx), '', 'the shortest dependencies between 2nd lock and 1st lock:');
  out.push(...shortestDependencies(g, path, ctx.backtrace));
  out.push('', 'stack backtrace:', ...dumpStack(ctx));
  return out;
}

/** print_bad_irq_dependency(): HARDIRQ-safe -> HARDIRQ-unsafe lock order detected. */
export function badIrqDependencyReport(
  ctx: ReportCtx,
  prev: HeldView,
  next: HeldView,
  backPath: readonly PathEntry[],
  fwdPath: readonly PathEntry[],
  bit1: number,
  bit2: number,
  flags: IrqFlagsView,
): string[] {
  const g = ctx.g;
  const irqclass = stateName(bit1);
  const safe = backPath[backPath.length - 1]?.cls ?? prev.cls;
  const unsafe = fwdPath[fwdPath.length - 1]?.cls ?? next.cls;
  const out = banner(ctx, `WARNING: ${irqclass}-safe -> ${irqclass}-unsafe lock order detected`);
  out.push(`${ctx.task.comm}/${ctx.task.pid} ${irqFlags(flags)} is trying to acquire:`, printLock(g, next), '');
  out.push('and this task is already holding:', printLock(g, prev));
  out.push('which would create a new lock dependency:', `${lockNameFull(g, prev.cls)} -> ${lockNameFull(g, next.cls)}`, '');
  out.push(`but this new dependency connects a ${irqclass}-irq-safe lock:`, lockNameFull(g, safe), '');
  out.push(`... which became ${irqclass}-irq-safe at:`, ...trace(g.stacks.getStack(g.usageTrace(safe, bit1)), 2), '');
  out.push(`to a ${irqclass}-irq-unsafe lock:`, lockNameFull(g, unsafe), '');
  out.push(`... which became ${irqclass}-irq-unsafe at:`, '...', ...trace(g.stacks.getStack(g.usageTrace(unsafe, bit2)), 2), '');
  out.push('other info that might help us debug this:', '');
  out.push(...irqLockScenario(g, safe, unsafe, prev.cls, next.cls));
  out.push(...heldLocks(ctx), '', `the dependencies between ${irqclass}-irq-safe lock and the holding lock:`);
  out.push(...shortestDependencies(g, backPath, ctx.backtrace), '');
  out.push(`the dependencies between the lock to be acquired and ${irqclass}-irq-unsafe lock:`);
  out.push(...shortestDependencies(g, fwdPath, ctx.backtrace));
  out.push('', 'stack backtrace:', ...dumpStack(ctx));
  return out;
}

/** print_held_locks_bug(): a task exits holding locks. */
export function heldAtExitReport(ctx: ReportCtx): string[] {
  // print_held_locks_bug()'s rules are 36 characters whatever the comm and pid.
  const title = `WARNING: ${ctx.task.comm}/${ctx.task.pid} still has locks held!`;
  const out = ['='.repeat(36), title, `${ctx.release} Not tainted`, '-'.repeat(36)];
  out.push(...tail(ctx));
  return out;
}

/** print_lock_invalid_wait_context(): `next` is the lock being taken, `currInner` the context allowed. */
export function invalidWaitContextReport(ctx: ReportCtx, next: HeldView, currInner: number): string[] {
  const out = banner(ctx, '[ BUG: Invalid wait context ]');
  out.push(`${ctx.task.comm}/${ctx.task.pid} is trying to lock:`, printLock(ctx.g, next));
  out.push('other info that might help us debug this:', `context-{${currInner}:${currInner}}`);
  out.push(...heldLocks(ctx), 'stack backtrace:', ...dumpStack(ctx));
  return out;
}

/** print_lock_nested_lock_not_held(). */
export function nestLockNotTakenReport(ctx: ReportCtx, self: HeldView, nestName: string): string[] {
  const out = banner(ctx, 'WARNING: Nested lock was not taken');
  out.push(`${ctx.task.comm}/${ctx.task.pid} is trying to lock:`, printLock(ctx.g, self), '');
  out.push('but this task is not holding:', nestName, '', 'stack backtrace:', ...dumpStack(ctx), '');
  out.push('other info that might help us debug this:', ...heldLocks(ctx));
  return out;
}

/** print_lockdep_off() + dump_stack() for a capacity limit. */
export function capacityReport(ctx: ReportCtx, bug: string): string[] {
  return [bug, 'turning off the locking correctness validator.', ...dumpStack(ctx)];
}

/** lockdep_rcu_suspicious(). */
export function suspiciousRcuReport(ctx: ReportCtx, where: string, msg: string): string[] {
  const out = banner(ctx, 'WARNING: suspicious RCU usage');
  // pr_warn("%s:%d %s!\n", file, line, s): the message is given without its `!`.
  out.push(`${where} ${msg}!`, '', 'other info that might help us debug this:', '', '');
  out.push(`rcu_scheduler_active = 2, debug_locks = ${ctx.g.debugLocks() ? 1 : 0}`);
  out.push(...tail(ctx));
  return out;
}

/** lockdep_assert_held() failing: a WARN splat. */
export function assertHeldReport(ctx: ReportCtx, name: string, site: string): string[] {
  return [
    '------------[ cut here ]------------',
    `WARNING: CPU: ${ctx.task.cpu} PID: ${ctx.task.pid} at ${site} lockdep_assert_held(${name})`,
    'Modules linked in:',
    ...dumpStack(ctx),
    '---[ end trace 0000000000000000 ]---',
  ];
}
