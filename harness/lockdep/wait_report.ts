/*
 * The text of the two real-blocking reports (the formats are documented, with examples, in the
 * README of harness/locks/ and tested to the character in wait_report.test.ts):
 *
 *  - `DEADLOCK: N threads blocked in a wait-for cycle`: threads that wait for each other for real,
 *    in lockdep's banner (`====`, title, release, `----`); per thread, the lock it is blocked on
 *    with the site of the blocked acquisition and the thread that holds it; the cycle on one line;
 *    each thread's held locks as lockdep prints them (debug_show_held_locks) and its call chain.
 *    It says a deadlock happened, where lockdep's `possible circular locking dependency` says one
 *    could.
 *  - `INFO: task comm:pid blocked for more than N seconds.`: kernel/hung_task.c's check_hung_task()
 *    lines and sched_show_task()'s task line, then (our addition, as the guests' hang detector has
 *    it) what the thread waits for and who holds it: nobody, for a lost wake-up.
 */

import { holdersOf, WAIT_EVENT, WAIT_NONE, type WaitView } from './wait_for.js';

function who(t: WaitView): string {
  return `${t.comm}/${t.pid}`;
}

function banner(title: string, release: string): string[] {
  return ['='.repeat(title.length), title, `${release} Not tainted`, '-'.repeat(title.length)];
}

function lockOf(t: WaitView): string {
  return t.text?.lock ?? `${(0xffffffff80000000n + BigInt(t.inst >>> 0)).toString(16)} (#${(t.hash >>> 0).toString(16)})`;
}

function shortName(t: WaitView): string {
  const m = /\(([^)]*)\)/.exec(lockOf(t));
  return m?.[1] ?? lockOf(t);
}

function heldLines(t: WaitView): string[] {
  const held = t.text?.held ?? [];
  return held.length > 0 ? [...held] : [`no locks held by ${who(t)}.`];
}

/** The cycle rotated to start at its lowest pid (then slot), so every scanner prints it the same way. */
export function canonicalCycle(cycle: readonly WaitView[]): WaitView[] {
  let k = 0;
  cycle.forEach((t, i) => {
    const best = cycle[k] as WaitView;
    if (t.pid < best.pid || (t.pid === best.pid && t.slot < best.slot)) k = i;
  });
  return [...cycle.slice(k), ...cycle.slice(0, k)];
}

/** The `DEADLOCK:` report of a confirmed wait-for cycle (each member's text published). */
export function deadlockReport(cycle: readonly WaitView[], release: string): string[] {
  const c = canonicalCycle(cycle);
  const lines = banner(`DEADLOCK: ${c.length} thread${c.length === 1 ? '' : 's'} blocked in a wait-for cycle`, release);
  c.forEach((t, i) => {
    const next = c[(i + 1) % c.length] as WaitView;
    lines.push(`${who(t)} is blocked on lock:`, `${lockOf(t)}, at: ${t.text?.at ?? '?'}`, `which is held by ${who(next)}`, '');
  });
  lines.push(`the wait-for cycle: ${[...c.map((t) => `${who(t)} -> (${shortName(t)})`), who(c[0] as WaitView)].join(' -> ')}`, '');
  lines.push('no thread of the cycle can run: each waits for a lock the next one holds.', '');
  for (const t of c) lines.push(...heldLines(t), '');
  for (const t of c) lines.push(`stack of ${who(t)}:`, ...(t.text?.frames ?? []).map((f) => ` ${f}`), '');
  lines.push('='.repeat(lines[0]?.length ?? 0));
  return lines;
}

/** sched_show_task()'s first line for a thread in Atomics.wait (state D: an uninterruptible sleep). */
function taskLine(t: WaitView): string {
  return `task:${t.comm.padEnd(15)} state:D stack:0     pid:${String(t.pid).padEnd(5)} tgid:${String(t.pid).padEnd(5)} ppid:0      flags:0x00000000`;
}

/** What the holders of `t`'s wait are doing. */
function holderLines(all: readonly WaitView[], t: WaitView): string[] {
  if (t.waiting === WAIT_EVENT) return [' held by: nothing (an event: only a wake-up ends this wait; none came: a lost wake-up?)'];
  const holders = holdersOf(all, t);
  if (holders.length === 0) return [' held by: no thread (nobody holds it: a lost wake-up, or an owner that exited holding it)'];
  return holders.map((h) => {
    const state = h.waiting !== WAIT_NONE ? `blocked on ${lockOf(h)}` : 'running';
    return ` held by: ${who(h)} (${state})`;
  });
}

/** check_hung_task()'s report for a thread blocked `secs` seconds with no wait-for cycle. */
export function hungTaskReport(all: readonly WaitView[], t: WaitView, secs: number, release: string): string[] {
  return [
    `INFO: task ${t.comm}:${t.pid} blocked for more than ${secs} seconds.`,
    `      Not tainted ${release}`,
    '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    taskLine(t),
    'Call Trace:',
    ' <TASK>',
    ...(t.text?.frames ?? []).map((f) => ` ${f}`),
    ' </TASK>',
    ` waiting ${secs}s for: ${lockOf(t)}, at: ${t.text?.at ?? '?'}`,
    ...holderLines(all, t),
    ...heldLines(t),
  ];
}
