/*
 * watchDeadlocks(): the scanner of the wait-for table for programs whose threads block by their
 * own means (annotated with `waiting()` / `woken()`): a thread in Atomics.wait runs nothing, so
 * someone that does not block must look. Two places:
 *
 *  - timers in the calling thread (default): the buffer's creator, usually the main thread,
 *    which awaits its workers and so is not blocked; the interval is unref()'d;
 *  - `worker: true`: a watchdog worker thread of its own, for a program whose every thread may
 *    block (the main thread included). Its reports are written to standard error by the worker
 *    itself (fs.writeSync(2): a worker's console goes through the main thread, which may be
 *    blocked) and posted to the caller's onReport when its event loop runs.
 *
 * torture/locks do not need it: their waiters scan in the slices of their own wait.
 */

import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { TortureError } from '../errors.js';
import { distFile } from '../lib/dist_entry.js';
import { WaitScanner, type WaitReport } from './wait_check.js';
import { WaitForTable } from './wait_for.js';

export interface WatchOptions {
  /** Milliseconds between scans. Default 250 (a cycle is reported on the second scan that sees it). */
  readonly intervalMs?: number;
  /** Seconds a thread may stay blocked before it is reported as a hung task; 0: never. Default 10. */
  readonly hungTaskTimeoutSecs?: number;
  /** Where reports go. Default: written to standard error (fs.writeSync(2)); with `worker`, the worker writes them there and posts them here too. */
  readonly onReport?: (report: WaitReport) => void;
  /** Banner release string. Default `user-program`. */
  readonly release?: string;
  /** Scan from a watchdog worker thread instead of timers in this thread. Default false. */
  readonly worker?: boolean;
}

export interface Watchdog {
  /** Stop scanning (and end the watchdog worker). */
  stop(): Promise<void>;
}

function checked(buf: SharedArrayBuffer, o: WatchOptions): { intervalMs: number; hungTaskTimeoutSecs: number; release: string } {
  if (!(buf instanceof SharedArrayBuffer) || buf.byteLength < 64 || new WaitForTable(buf).base <= 0) {
    throw new TortureError('USAGE', `Cannot watch for deadlocks as 'buffer' must be a SharedArrayBuffer from createLockdepBuffer(): current value is ${typeof buf}`);
  }
  const intervalMs = o.intervalMs ?? 250;
  if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new TortureError('USAGE', `Cannot watch for deadlocks as 'intervalMs' must be an integer >= 1: current value is ${String(intervalMs)}`);
  const hungTaskTimeoutSecs = o.hungTaskTimeoutSecs ?? 10;
  if (!Number.isFinite(hungTaskTimeoutSecs) || hungTaskTimeoutSecs < 0) {
    throw new TortureError('USAGE', `Cannot watch for deadlocks as 'hungTaskTimeoutSecs' must be a number of seconds >= 0: current value is ${String(hungTaskTimeoutSecs)}`);
  }
  return { intervalMs, hungTaskTimeoutSecs, release: o.release ?? 'user-program' };
}

/** Scan `buf`'s wait-for table every intervalMs until stop(). */
export function watchDeadlocks(buf: SharedArrayBuffer, opts: WatchOptions = {}): Watchdog {
  const o = checked(buf, opts);
  const onReport = opts.onReport ?? ((r: WaitReport) => void writeSync(2, `${r.text}\n`));
  if (opts.worker === true) {
    // The compiled worker beside this file (from source, under vitest: its dist/ copy).
    const entry = import.meta.url.endsWith('.js') ? new URL('./wait_watchdog_worker.js', import.meta.url) : distFile('harness/lockdep/wait_watchdog_worker.js');
    const w = new Worker(entry, { workerData: { buf, ...o } });
    w.on('message', (r: WaitReport) => {
      if (opts.onReport !== undefined) opts.onReport(r);
    });
    w.unref();
    return { stop: async () => void (await w.terminate()) };
  }
  const scanner = new WaitScanner(new WaitForTable(buf), o);
  const timer = setInterval(() => {
    for (const r of scanner.scan()) onReport(r);
  }, o.intervalMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}

/** The watchdog worker's loop (wait_watchdog_worker.ts): its own timers, reports to fd 2 and to the parent. */
export function watchdogWorkerLoop(buf: SharedArrayBuffer, o: { intervalMs: number; hungTaskTimeoutSecs: number; release: string }, post: (r: WaitReport) => void): void {
  const scanner = new WaitScanner(new WaitForTable(buf), o);
  setInterval(() => {
    for (const r of scanner.scan()) {
      writeSync(2, `${r.text}\n`);
      post(r);
    }
  }, o.intervalMs);
}
