/*
 * `torture lockdep TRACE.jsonl`: the lockdep validator run over a recorded lock trace.
 *
 * Format (one JSON object per line; blank lines and lines starting with `#` are ignored):
 *   {"op":"acquire","task":"T","lock":"CLASS","type":"spinlock|rwlock|mutex|rwsem|percpu_rwsem",
 *    "mode":"write|read","subclass":0,"try":false,"stack":["fn", ...]}
 *   {"op":"release","task":"T","lock":"CLASS","subclass":0}
 *   {"op":"hardirq_enter|hardirq_exit|softirq_enter|softirq_exit|irqs_disable|irqs_enable|bh_disable|bh_enable","task":"T"}
 * `type` is required on a class's first acquire and must not change; `mode` defaults to write and
 * `read` is allowed for rwlock (recursive only in interrupt context, as qrwlock), rwsem and
 * percpu_rwsem (non-recursive). `stack` (optional, innermost first) names the call chain printed in
 * reports; without it a frame names the trace line.
 *
 * Guarantees: the whole file is checked for malformed input before anything is validated, so a
 * malformed file never prints a half report. Tasks are pseudo tasks (pid in order of first
 * appearance, comm truncated to 15 characters) on one pseudo CPU whose irq flags the irq ops set.
 * Returns 0 when clean (one summary line), 1 when lockdep reported (the report is printed).
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import type { LockClassKey, LockdepMap, LockRead } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

const TRACE_TYPES = ['spinlock', 'rwlock', 'mutex', 'rwsem', 'percpu_rwsem'] as const;
type TraceType = (typeof TRACE_TYPES)[number];
const IRQ_OPS = ['hardirq_enter', 'hardirq_exit', 'softirq_enter', 'softirq_exit', 'irqs_disable', 'irqs_enable', 'bh_disable', 'bh_enable'] as const;
type IrqOp = (typeof IRQ_OPS)[number];

type TraceEvent =
  | { readonly op: 'acquire'; readonly line: number; readonly task: string; readonly lock: string; readonly read: boolean; readonly subclass: number; readonly trylock: boolean; readonly stack: readonly string[] | null }
  | { readonly op: 'release'; readonly line: number; readonly task: string; readonly lock: string; readonly subclass: number | null; readonly stack: readonly string[] | null }
  | { readonly op: IrqOp; readonly line: number; readonly task: string };

const TRACE_LIMITS: LockdepLimits = { MAX_LOCKDEP_KEYS: 8192, MAX_LOCKDEP_ENTRIES: 32768, MAX_LOCKDEP_CHAINS: 65536, MAX_STACK_TRACE_ENTRIES: 131072, ARENA_WORDS: 1 << 20 };

function waitTypeOf(t: TraceType): 0 | 2 | 3 {
  if (t === 'percpu_rwsem') return 0;
  return t === 'spinlock' || t === 'rwlock' ? 2 : 3;
}

function show(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
}

/** Parse and check the whole trace; throws TortureError('TRACE_MALFORMED', 'FILE:LINE: ...'). */
export function parseTrace(file: string, text: string): { events: TraceEvent[]; types: Map<string, TraceType> } {
  const events: TraceEvent[] = [];
  const types = new Map<string, TraceType>();
  const lines = text.split('\n');
  const bad = (n: number, what: string): never => {
    throw new TortureError('TRACE_MALFORMED', `${file}:${n}: ${what}`);
  };
  // Pseudo-CPU irq nesting, so that an exit without an enter is caught as malformed.
  let hard = 0;
  let soft = 0;
  let bh = 0;
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch (e) {
      bad(n, `Cannot parse the line as it must be one JSON object: ${(e as Error).message}`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad(n, `Cannot read the event as it must be a JSON object: current value is ${show(o)}`);
    const r = o as Record<string, unknown>;
    const op = r['op'];
    const task = r['task'];
    if (typeof task !== 'string' || task === '') bad(n, `Cannot read the event as 'task' must be a non-empty string: current value is ${show(task)}`);
    const taskName = task as string;
    let stack: string[] | null = null;
    if (r['stack'] !== undefined) {
      const st = r['stack'];
      if (!Array.isArray(st) || st.some((f) => typeof f !== 'string')) bad(n, `Cannot read the event as 'stack' must be an array of strings: current value is ${show(st)}`);
      stack = st as string[];
    }
    if (op === 'acquire' || op === 'release') {
      const lock = r['lock'];
      if (typeof lock !== 'string' || lock === '') bad(n, `Cannot ${op} as 'lock' must be a non-empty string: current value is ${show(lock)}`);
      const lockName = lock as string;
      const sub = r['subclass'];
      if (sub !== undefined && (typeof sub !== 'number' || !Number.isInteger(sub) || sub < 0 || sub > 7)) bad(n, `Cannot ${op} '${lockName}' as 'subclass' must be an integer 0..7: current value is ${show(sub)}`);
      if (op === 'release') {
        events.push({ op, line: n, task: taskName, lock: lockName, subclass: typeof sub === 'number' ? sub : null, stack });
        return;
      }
      const type = r['type'];
      const known = types.get(lockName);
      if (type === undefined) {
        if (known === undefined) bad(n, `Cannot acquire '${lockName}' as 'type' must be given on the class's first use: current value is missing`);
      } else {
        if (typeof type !== 'string' || !(TRACE_TYPES as readonly string[]).includes(type)) bad(n, `Cannot acquire '${lockName}' as 'type' must be one of ${TRACE_TYPES.join('|')}: current value is ${show(type)}`);
        if (known !== undefined && known !== type) bad(n, `Cannot acquire '${lockName}' as 'type' must not change (first used as ${known}): current value is ${show(type)}`);
        types.set(lockName, type as TraceType);
      }
      const t = types.get(lockName) ?? 'mutex';
      const mode = r['mode'] ?? 'write';
      if (mode !== 'write' && mode !== 'read') bad(n, `Cannot acquire '${lockName}' as 'mode' must be "write" or "read": current value is ${show(mode)}`);
      if (mode === 'read' && t !== 'rwlock' && t !== 'rwsem' && t !== 'percpu_rwsem') bad(n, `Cannot acquire '${lockName}' for read as 'type' must be rwlock, rwsem or percpu_rwsem: current value is "${t}"`);
      const tr = r['try'] ?? false;
      if (typeof tr !== 'boolean') bad(n, `Cannot acquire '${lockName}' as 'try' must be a boolean: current value is ${show(tr)}`);
      events.push({ op, line: n, task: taskName, lock: lockName, read: mode === 'read', subclass: typeof sub === 'number' ? sub : 0, trylock: tr === true, stack });
      return;
    }
    if (typeof op !== 'string' || !(IRQ_OPS as readonly string[]).includes(op)) {
      bad(n, `Cannot read the event as 'op' must be acquire, release or one of ${IRQ_OPS.join('|')}: current value is ${show(op)}`);
    }
    const iop = op as IrqOp;
    if (iop === 'hardirq_enter') hard++;
    if (iop === 'softirq_enter') soft++;
    if (iop === 'bh_disable') bh++;
    if (iop === 'hardirq_exit' && hard-- === 0) bad(n, `Cannot leave hardirq context as 'hardirq_exit' must follow a hardirq_enter: current value is depth 0`);
    if (iop === 'softirq_exit' && soft-- === 0) bad(n, `Cannot leave softirq context as 'softirq_exit' must follow a softirq_enter: current value is depth 0`);
    if (iop === 'bh_enable' && bh-- === 0) bad(n, `Cannot enable bottom halves as 'bh_enable' must follow a bh_disable: current value is depth 0`);
    events.push({ op: iop, line: n, task: taskName });
  });
  return { events, types };
}

/** Run the validator over TRACE; prints the report or a summary through `out`. */
export function checkTrace(file: string, out: (line: string) => void): 0 | 1 {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TortureError('TRACE_MALFORMED', `${file}:0: Cannot read the trace as '${file}' must be a readable file: ${(e as Error).message}`);
  }
  const { events, types } = parseTrace(file, text);
  const base = path.basename(file);
  const tasks = new Map<string, SimTask>();
  const taskOf = (name: string): SimTask => {
    let t = tasks.get(name);
    if (t === undefined) {
      t = new SimTask(tasks.size + 1, name, 0);
      tasks.set(name, t);
    }
    return t;
  };
  const env = new SimEnv(new SimTask(0, 'swapper/0'));
  env.printer = (lines) => lines.forEach((l) => out(l));
  let frames: readonly string[] = [];
  env.captureStack = (): string[] => [...frames];
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(TRACE_LIMITS) * 4));
  const ld = lockdepInit(i32, 0, env, { resetRegion: true, limits: TRACE_LIMITS });

  const keys = new Map<string, LockClassKey>();
  const maps = new Map<string, LockdepMap>();
  const mapOf = (lock: string, subclass: number): LockdepMap => {
    const id = `${lock}/${subclass}`;
    let m = maps.get(id);
    if (m === undefined) {
      let key = keys.get(lock);
      if (key === undefined) {
        const t = types.get(lock);
        key = { name: lock, ordinal: 0, type: t ?? 'user', waitType: t === undefined ? 0 : waitTypeOf(t) };
        keys.set(lock, key);
      }
      m = { key, addr: 0x1000 + keys.size * 0x40 + subclass * 8, name: lock };
      maps.set(id, m);
    }
    return m;
  };
  // Each task's own record of what it holds, to pick the instance a `release` names.
  const heldBy = new Map<string, { lock: string; subclass: number }[]>();
  const irq = env.irq;
  let hard = 0;
  let soft = 0;
  let bh = 0;
  let irqsOff = false;
  const sync = (): void => {
    irq.hardirq = hard > 0;
    irq.softirq = soft > 0;
    irq.irqsDisabled = irqsOff || hard > 0;
    irq.bhDisabled = bh > 0 || soft > 0;
  };

  for (const ev of events) {
    env.task = taskOf(ev.task);
    const held = heldBy.get(ev.task) ?? [];
    heldBy.set(ev.task, held);
    if (ev.op === 'acquire') {
      frames = ev.stack ?? [`${ev.task}: acquire ${ev.lock} (${base}:${ev.line})`];
      const t = types.get(ev.lock);
      // qrwlock readers are recursive only in interrupt context (read_lock_is_recursive()).
      const inInterrupt = irq.hardirq || irq.softirq || irq.bhDisabled;
      const read: LockRead = !ev.read ? 0 : t === 'rwlock' && inInterrupt ? 2 : 1;
      ld.acquire(mapOf(ev.lock, ev.subclass), ev.subclass, ev.trylock, read, null);
      held.push({ lock: ev.lock, subclass: ev.subclass });
    } else if (ev.op === 'release') {
      frames = ev.stack ?? [`${ev.task}: release ${ev.lock} (${base}:${ev.line})`];
      let i = held.length - 1;
      while (i >= 0 && !(held[i]?.lock === ev.lock && (ev.subclass === null || held[i]?.subclass === ev.subclass))) i--;
      if (i >= 0) {
        const h = held[i];
        held.splice(i, 1);
        ld.release(mapOf(ev.lock, h?.subclass ?? 0));
      } else {
        ld.release(mapOf(ev.lock, ev.subclass ?? 0));
      }
    } else {
      frames = [`${ev.task}: ${ev.op} (${base}:${ev.line})`];
      switch (ev.op) {
        case 'hardirq_enter':
          hard++;
          break;
        case 'hardirq_exit':
          hard--;
          break;
        case 'softirq_enter':
          soft++;
          break;
        case 'softirq_exit':
          soft--;
          break;
        case 'irqs_disable':
          irqsOff = true;
          break;
        case 'irqs_enable':
          irqsOff = false;
          break;
        case 'bh_disable':
          bh++;
          break;
        case 'bh_enable':
          bh--;
          break;
      }
      sync();
      if (ev.op === 'irqs_enable') ld.hardirqsOn();
      if (ev.op === 'bh_enable' && bh === 0) ld.softirqsOn();
      continue;
    }
    if (env.bugs.length > 0) break;
  }
  if (env.bugs.length > 0) return 1;
  const deps = /direct dependencies: +(\d+)/.exec(ld.procStats())?.[1] ?? '0';
  out(`lockdep: ${file}: ${events.length} events, ${tasks.size} task${tasks.size === 1 ? '' : 's'}, ${keys.size} lock class${keys.size === 1 ? '' : 'es'}, ${deps} dependencies: no problems found`);
  return 0;
}
