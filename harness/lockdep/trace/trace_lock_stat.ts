/*
 * lock_stat of a lock trace (`torture lockdep --lock-stat TRACE.jsonl`): the trace format's
 * optional timing keys, read in a pass of their own beside the check (the validator ignores keys
 * it does not use, so a timed trace is an ordinary trace to it):
 *
 *   "ts": N            on acquire and release: nanoseconds on one clock for the whole trace
 *                      (lock_acquire() / lock_release() time)
 *   "acquired_ts": N   on acquire: when the lock was got, if later than "ts" the acquisition
 *                      waited (lock_contended() at "ts", lock_acquired() at "acquired_ts")
 *   "cpu": N           on acquire: the CPU it ran on (con-bounces, acq-bounces)
 *
 * The statistics are lockdep.c's (harness/formats/lock_stat.ts): hold time from the acquisition
 * (or the end of its wait) to the release, wait time, bounces against the CPU of the class's last
 * acquisition, the contention point of a wait (the first frame of its "stack", when it has one).
 * A trylock waits for nothing and makes no acquisition bounce (the kernel calls no
 * lock_acquired() for it). Events without "ts" are not timed; a release matches the task's latest
 * timed acquisition of that lock (and subclass, if it names one). A trace with no "ts" at all has
 * no lock_stat: bad input, as a malformed "ts" is.
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TortureError } from '../../errors.js';
import { countLockStatPoint, lockTimeInc, newLockStatClass, type LockStatClass, type LockStatClassDraft } from '../../formats/lock_stat.js';

/** A class being timed: its statistics (the one draft shape) and the CPU of its last acquisition (the bounces' reference). */
interface ClassAcc {
  readonly stat: LockStatClassDraft;
  lastCpu: number;
}

interface Held {
  lock: string;
  subclass: number;
  read: boolean;
  start: number;
}

function bad(file: string, no: number, what: string): TortureError {
  return new TortureError('TRACE_MALFORMED', `${file}:${no}: ${what}`);
}

function num(file: string, no: number, r: Record<string, unknown>, key: string, expect: string): number | undefined {
  const v = r[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (key === 'cpu' && !Number.isInteger(v))) {
    throw bad(file, no, `Cannot time the event as '${key}' must be ${expect}: current value is ${JSON.stringify(v)}`);
  }
  return v;
}

/** The timing state of one trace, fed event by event. */
export class TraceLockStat {
  readonly #file: string;
  readonly #classes = new Map<string, ClassAcc>();
  readonly #held = new Map<string, Held[]>();
  timed = 0;

  constructor(file: string) {
    this.#file = file;
  }

  #cls(lock: string, subclass: number): ClassAcc {
    const k = `${lock}\u0000${subclass}`;
    let c = this.#classes.get(k);
    if (c === undefined) {
      c = { stat: newLockStatClass(lock, 1, subclass), lastCpu: -1 };
      this.#classes.set(k, c);
    }
    return c;
  }

  /** One event (a parsed line, 1-based line number `no`). */
  event(no: number, r: Record<string, unknown>): void {
    const f = this.#file;
    const ts = num(f, no, r, 'ts', 'a number of nanoseconds >= 0');
    if (ts === undefined || (r['op'] !== 'acquire' && r['op'] !== 'release')) return;
    const task = String(r['task']);
    const lock = String(r['lock']);
    const sb = typeof r['subclass'] === 'number' ? r['subclass'] : undefined;
    const held = this.#held.get(task) ?? [];
    this.#held.set(task, held);
    this.timed++;
    if (r['op'] === 'release') {
      let i = held.length - 1;
      while (i >= 0 && (held[i]?.lock !== lock || (sb !== undefined && held[i]?.subclass !== sb))) i--;
      if (i < 0) return;
      const h = held.splice(i, 1)[0] as Held;
      const c = this.#cls(h.lock, h.subclass).stat;
      const hold = Math.max(0, ts - h.start);
      if (h.read) c.readHold = lockTimeInc(c.readHold, hold);
      else c.writeHold = lockTimeInc(c.writeHold, hold);
      return;
    }
    const acquired = num(f, no, r, 'acquired_ts', 'a number of nanoseconds >= "ts"');
    if (acquired !== undefined && acquired < ts) throw bad(f, no, `Cannot time the event as 'acquired_ts' must be a number of nanoseconds >= "ts": current value is ${acquired}`);
    const cpu = num(f, no, r, 'cpu', 'a CPU number (an integer >= 0)');
    const read = r['mode'] === 'read';
    const trylock = r['try'] === true;
    const acc = this.#cls(lock, sb ?? 0);
    const c = acc.stat;
    const ri = read ? 1 : 0;
    if (!trylock && acquired !== undefined && acquired > ts) {
      // lock_contended() at ts, lock_acquired() at acquired_ts.
      if (read) c.readWait = lockTimeInc(c.readWait, acquired - ts);
      else c.writeWait = lockTimeInc(c.writeWait, acquired - ts);
      if (cpu !== undefined && acc.lastCpu >= 0 && acc.lastCpu !== cpu) c.bounces[2 + ri] = (c.bounces[2 + ri] ?? 0) + 1;
      const st = r['stack'];
      const site = Array.isArray(st) && typeof st[0] === 'string' ? st[0] : '';
      if (site !== '') countLockStatPoint(c.contentionPoints, site);
    }
    if (!trylock && cpu !== undefined) {
      if (acc.lastCpu >= 0 && acc.lastCpu !== cpu) c.bounces[ri] = (c.bounces[ri] ?? 0) + 1;
      acc.lastCpu = cpu;
    }
    held.push({ lock, subclass: sb ?? 0, read, start: trylock ? ts : (acquired ?? ts) });
  }

  /**
   * The classes, in order of first use: the timer's own records, not copies (callers read them
   * once the trace is over; one that keeps them while lines still come sees them change).
   */
  classes(): LockStatClass[] {
    return [...this.#classes.values()].map((c) => c.stat);
  }
}

/** lock_stat of the trace file `file` (a file: it is read again for the check). */
export async function traceLockStat(file: string): Promise<LockStatClass[]> {
  const acc = new TraceLockStat(file);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let no = 0;
  for await (const line of lines) {
    no++;
    // Only timed lines are parsed here; the check reads (and judges) every line.
    if (!line.includes('"ts"')) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      continue; // the check names a malformed line
    }
    if (typeof r === 'object' && r !== null && !Array.isArray(r)) acc.event(no, r as Record<string, unknown>);
  }
  if (acc.timed === 0) {
    throw new TortureError('TRACE_MALFORMED', `Cannot print the lock_stat of ${file} as its acquire and release events must carry "ts": current value has none`);
  }
  return acc.classes();
}
