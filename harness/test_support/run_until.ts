/*
 * Tests that expect an event from a guest or a torture run (a planted bug's report, a BUSTED
 * failure, N grace periods, the first CPU offline) wait for the event, not for a fixed few
 * seconds: on a loaded host a guest may spend seconds booting and its threads get a fraction of a
 * core, so a 2-6 s run that is plenty when idle may end before the event. untilSeen() runs the
 * attempt for its usual duration and, while the event is not there, again with twice the
 * duration, up to a generous cap: an idle host pays what it always paid, a loaded one gets the
 * time it needs, and a real regression still fails (after the cap) with the last run's output.
 *
 * Why rerun longer rather than run long and stop at the event: the tests also check the run's
 * orderly end (`End of test: ...`, the exit code, the files written at power-off), which only a
 * guest that reaches its shutdown_secs gives; stopping it early (SIGTERM, the STOP file) kills it.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/repo_root.js';
import { runGuest, type GuestRun, type RunGuestOptions } from '../guest/run_guest.js';
import { makeTestTempDir } from './temp_dir.js';

/** How long to try: the first attempt's seconds, and the most one attempt may be given. */
export interface Until {
  readonly fromSec: number;
  readonly capSec: number;
}

/** Attempt with `fromSec`, then twice as long each time, until `saw` holds or the cap is reached. */
export async function untilSeen<T>(attempt: (secs: number) => Promise<T>, saw: (r: T) => boolean, u: Until): Promise<T> {
  for (let secs = u.fromSec; ; secs = Math.min(secs * 2, u.capSec)) {
    const r = await attempt(secs);
    if (saw(r) || secs >= u.capSec) return r;
    // Said, so that a slow host shows in the test output rather than only in its duration.
    console.log(`untilSeen: the event did not come in a ${secs} s run; again with ${Math.min(secs * 2, u.capSec)} s`);
  }
}

/** runGuest() with its resdir in a test temporary directory (removed after the test file). */
export function runTestGuest(o: RunGuestOptions): Promise<GuestRun> {
  return runGuest({ resdir: makeTestTempDir('guest'), ...o });
}

/** A guest of `make(secs)` until `saw(run)` (see untilSeen). */
export function runGuestUntil(make: (secs: number) => RunGuestOptions, saw: (run: GuestRun) => boolean, u: Until): Promise<GuestRun> {
  return untilSeen((secs) => runTestGuest(make(secs)), saw, u);
}

export interface TortureRun {
  readonly code: number | null;
  /** stdout and stderr, interleaved as they came. */
  readonly out: string;
  /** The run's results directory (`<results>/run`). */
  readonly dir: string;
}

export interface TortureOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Kill the driver after this long (a hung driver fails the test instead of hanging it). */
  readonly killAfterMs?: number;
}

/** `torture ARGS --results <temp> --datestamp run` through bin/torture.js, without blocking the test's event loop. */
export function runTorture(args: readonly string[], o: TortureOptions = {}): Promise<TortureRun> {
  const results = makeTestTempDir('results');
  const child = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'torture.js'), ...args, '--results', results, '--datestamp', 'run'], {
    cwd: repoRoot(),
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 300_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, dir: path.join(results, 'run') });
    });
  });
}

/** `torture ARGS --duration <secs>s` until `saw(run)` (see untilSeen). */
export function runTortureUntil(args: readonly string[], saw: (run: TortureRun) => boolean, u: Until, o: TortureOptions = {}): Promise<TortureRun> {
  return untilSeen((secs) => runTorture([...args, '--duration', `${secs}s`], o), saw, u);
}

/** A scenario's console.log of a run ('' when it has none: the predicates' "not yet"). */
export function scenarioConsole(run: TortureRun, scenario: string): string {
  const f = path.join(run.dir, scenario, 'console.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}
