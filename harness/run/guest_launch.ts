/*
 * Start one guest process and watch it: the analogue of kvm-test-1-run-qemu.sh. The
 * guest is `node [--enable-source-maps] dist/harness/guest/guest_main.js <spec>`, its
 * stdout and stderr going to `guest-output`. A guest still alive after durationSec +
 * shutdownGraceSec is killed with SIGKILL and its `guest-retval` is 137, as kvm.sh records a killed
 * qemu. The driver may also kill it early (STOP file, SIGINT).
 *
 * Guarantees: `guest-retval` is written exactly once, whatever happens (spawn failure: 127).
 * Does not judge the run (recheck does).
 */

import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { KILLED_RETVAL } from '../recheck/recheck_scenario.js';

export interface GuestExit {
  readonly retval: number;
  readonly killed: boolean;
  readonly seconds: number;
}

export interface GuestHandle {
  readonly name: string;
  readonly pid: number | undefined;
  readonly done: Promise<GuestExit>;
  /** Kill now with SIGKILL (idempotent); `why` goes to the log. */
  kill(why: string): void;
}

export interface LaunchOptions {
  /** Run name and CPU tag for log lines (`TREE05 8`, `TREE05.2 16-ovf`). */
  readonly tag: string;
  readonly name: string;
  readonly scenarioDir: string;
  readonly specPath: string;
  readonly guestMain: string;
  readonly killAfterSec: number;
  readonly log: (line: string) => void;
  readonly date: () => string;
}

const SPAWN_FAILED_RETVAL = 127;

/** Spawn a guest and arm its kill timer. */
export function launchGuest(o: LaunchOptions): GuestHandle {
  const outFd = openSync(path.join(o.scenarioDir, 'guest-output'), 'w');
  const start = performance.now();
  const child = spawn(process.execPath, ['--enable-source-maps', o.guestMain, o.specPath], {
    cwd: o.scenarioDir,
    stdio: ['ignore', outFd, outFd],
  });
  closeSync(outFd);
  let killed = false;
  let finished = false;

  const kill = (why: string): void => {
    if (finished || killed) return;
    killed = true;
    o.log(`---- ${o.tag}: Killing guest at pid ${child.pid ?? '?'}: ${why}. ${o.date()}`);
    child.kill('SIGKILL');
  };

  const timer = setTimeout(() => {
    const secs = Math.round(performance.now() - start) / 1000;
    kill(`still running after ${secs} s (duration + shutdown grace ${o.killAfterSec} s); killed`);
  }, o.killAfterSec * 1000);

  const done = new Promise<GuestExit>((resolve) => {
    const finish = (retval: number): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const seconds = Math.round(performance.now() - start) / 1000;
      writeFileSync(path.join(o.scenarioDir, 'guest-retval'), `${retval}\n`);
      o.log(`---- ${o.tag}: Guest at pid ${child.pid ?? '?'} ${killed ? 'killed' : `exited with code ${retval}`} after ${seconds} s. ${o.date()}`);
      resolve({ retval, killed, seconds });
    };
    child.once('error', (err) => {
      o.log(`---- ${o.tag}: Cannot start guest: ${err.message}`);
      finish(SPAWN_FAILED_RETVAL);
    });
    child.once('exit', (code, signal) => {
      if (killed) finish(KILLED_RETVAL);
      else if (code !== null) finish(code);
      else finish(128 + (signal !== null ? (constants.signals[signal] ?? 0) : 0));
    });
  });
  if (child.pid !== undefined) o.log(`---- ${o.tag}: Monitoring guest at pid ${child.pid} ${o.date()}`);
  return { name: o.name, pid: child.pid, done, kill };
}
