/*
 * Start one guest process and watch it: the analogue of kvm-test-1-run-qemu.sh. The guest is
 * `node <argv>` (kvm_files.ts: guest_main.js, its spec and qemu-style words), its stdout and stderr going to `qemu-output`, with an IPC channel: the guest's live counters arrive
 * over it (onProgress), and its closing (the driver died) makes the guest exit. A guest still
 * alive durationSec + shutdownGraceSec after its boot ended (GuestProgress.bootSec; as long again
 * for the boot itself) is first asked over it for its state (sysrq-t:
 * harness/guest/show_state_request.ts), which it prints into its console; at its answer, or
 * SHOW_STATE_DEADLINE_SEC later, it is killed with SIGKILL, the kill line naming what is stuck
 * (or that no dump came), and its `guest-retval` is 137, as kvm.sh records a killed qemu. The
 * driver may also kill it early (STOP file, SIGINT): at once, without a dump.
 *
 * Guarantees: `guest-retval` and `qemu-retval` are written exactly once, whatever happens (spawn
 * failure: 127). A guest whose V8 heap ran out (`--memory`) is logged as out of memory.
 * Does not judge the run (recheck does).
 */

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { KILLED_RETVAL, type GuestProgress } from '../guest/guest_spec.js';
import { SHOW_STATE_DEADLINE_SEC, SHOW_STATE_REQUEST, isStateDumped } from '../guest/show_state_request.js';
import { writeFileAtomic } from '../lib/write_file_atomic.js';
import { qemuRetval } from './kvm_files.js';

export interface GuestExit {
  readonly retval: number;
  readonly killed: boolean;
  readonly outOfMemory: boolean;
  readonly seconds: number;
}

export interface GuestHandle {
  readonly name: string;
  readonly pid: number | undefined;
  readonly done: Promise<GuestExit>;
  /** Kill now with SIGKILL (idempotent); `why` goes to the log. */
  kill(why: string): void;
  /**
   * Kill now because the run was stopped (`by`: `STOP file`, `SIGINT`, `SIGTERM`): as kill(), and
   * the scenario's guest-stopped records `by` first, so recheck judges the cut-short run
   * INCONCLUSIVE (`stopped by STOP file`) rather than failed. A guest already ended is left as it is.
   */
  stop(by: string): void;
  /**
   * What the kill timer does: ask the guest for its state dump (sysrq-t), then kill it at its
   * answer or SHOW_STATE_DEADLINE_SEC later; the kill line says `why` and what was stuck.
   */
  showStateAndKill(why: string): void;
}

export interface LaunchOptions {
  /** Run name and CPU tag for log lines (`TREE05 8`, `TREE05.2 16-ovf`). */
  readonly tag: string;
  readonly name: string;
  readonly scenarioDir: string;
  /** Everything after `node` (kvm_files.ts guestArgv()). */
  readonly argv: readonly string[];
  readonly killAfterSec: number;
  readonly onProgress?: (p: GuestProgress) => void;
  readonly log: (line: string) => void;
  readonly date: () => string;
  /**
   * `guest-retval` or `qemu-retval` could not be written (a full disk): the caller fails the run
   * (RunSession.failWrite). Without it the error is logged; the guest's end is reported either way.
   */
  readonly onWriteFailure?: (e: unknown) => void;
}

const SPAWN_FAILED_RETVAL = 127;

/** Spawn a guest and arm its kill timer. */
export function launchGuest(o: LaunchOptions): GuestHandle {
  const outFile = path.join(o.scenarioDir, SCENARIO_FILE.qemuOutput);
  const outFd = openSync(outFile, 'w');
  const start = performance.now();
  const child = spawn(process.execPath, [...o.argv], {
    cwd: o.scenarioDir,
    stdio: ['ignore', outFd, outFd, 'ipc'],
    serialization: 'json',
  });
  closeSync(outFd);
  let killed = false;
  let finished = false;
  /** Set once the guest was asked for its state: kills it with the answer. */
  let onStateDumped: ((stuck: string) => void) | null = null;
  let booted = false;
  child.on('message', (m: unknown) => {
    if (isStateDumped(m)) {
      onStateDumped?.(m.stuck);
      return;
    }
    // A message may arrive after the exit: nothing to rearm or report then.
    if (finished || typeof m !== 'object' || m === null || (m as { kind?: unknown }).kind !== 'progress') return;
    const p = m as GuestProgress;
    // The test time counts from the end of boot: so does the kill deadline (rearmed once).
    if (typeof p.bootSec === 'number' && !booted) {
      booted = true;
      clearTimeout(timer);
      timer = setTimeout(killLate, o.killAfterSec * 1000);
    }
    o.onProgress?.(p);
  });

  const kill = (why: string): void => {
    if (finished || killed) return;
    killed = true;
    o.log(`---- ${o.tag}: Killing guest at pid ${child.pid ?? '?'}: ${why}. ${o.date()}`);
    child.kill('SIGKILL');
  };

  const stop = (by: string): void => {
    if (finished || killed) return;
    try {
      writeFileAtomic(path.join(o.scenarioDir, SCENARIO_FILE.stopped), `${by}\n`);
    } catch (e) {
      // The run is ending anyway (a full disk stops it too): the guest is then judged as killed.
      o.log(`---- ${o.tag}: ${e instanceof Error ? e.message : String(e)}`);
    }
    kill(`run stopped (${by})`);
  };

  let dumpDeadline: NodeJS.Timeout | undefined;
  const showStateAndKill = (why: string): void => {
    if (finished || killed || onStateDumped !== null) return;
    if (!child.connected) {
      kill(`${why}; no state dump (no IPC channel)`);
      return;
    }
    // sysrq-t before the SIGKILL, so that the console says what was stuck (the hang detectors
    // need 10-20 s, often more than the run had).
    o.log(`---- ${o.tag}: Asking guest at pid ${child.pid ?? '?'} for its state (sysrq t). ${o.date()}`);
    onStateDumped = (stuck) => kill(`${why}; state dump: ${stuck}`);
    dumpDeadline = setTimeout(() => kill(`${why}; no state dump within ${SHOW_STATE_DEADLINE_SEC} s`), SHOW_STATE_DEADLINE_SEC * 1000);
    child.send(SHOW_STATE_REQUEST, (err) => {
      if (err !== null) kill(`${why}; no state dump (${err.message})`);
    });
  };

  const killLate = (): void => {
    const secs = Math.round(performance.now() - start) / 1000;
    showStateAndKill(`still running after ${secs} s (${booted ? 'boot + ' : ''}duration + shutdown grace ${o.killAfterSec} s); killed`);
  };
  // Until the guest reports its boot done, the boot itself may take as long as the run would.
  let timer = setTimeout(killLate, o.killAfterSec * 1000);

  const done = new Promise<GuestExit>((resolve) => {
    const finish = (retval: number): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(dumpDeadline);
      const seconds = Math.round(performance.now() - start) / 1000;
      const underControl = !killed && existsSync(path.join(o.scenarioDir, SCENARIO_FILE.result));
      try {
        writeFileAtomic(path.join(o.scenarioDir, SCENARIO_FILE.retval), `${retval}\n`);
        writeFileAtomic(path.join(o.scenarioDir, SCENARIO_FILE.qemuRetval), `${qemuRetval(retval, killed, underControl)}\n`);
      } catch (e) {
        // Inside the child's exit listener: a throw would take the driver down before its summary.
        if (o.onWriteFailure !== undefined) o.onWriteFailure(e);
        else o.log(`---- ${o.tag}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const outOfMemory = !killed && (outOfMemoryResult(o.scenarioDir) || outOfMemoryOutput(outFile));
      const how = killed ? 'killed' : outOfMemory ? `out of memory (exit code ${retval})` : `exited with code ${retval}`;
      o.log(`---- ${o.tag}: Guest at pid ${child.pid ?? '?'} ${how} after ${seconds} s. ${o.date()}`);
      resolve({ retval, killed, outOfMemory, seconds });
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
  return { name: o.name, pid: child.pid, done, kill, stop, showStateAndKill };
}

/** V8's last words when the guest's main heap (--max-old-space-size) ran out. */
export const V8_HEAP_OOM = 'JavaScript heap out of memory';

function outOfMemoryOutput(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes(V8_HEAP_OOM);
  } catch {
    return false;
  }
}

function outOfMemoryResult(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(path.join(dir, SCENARIO_FILE.result), 'utf8')) as { end?: unknown }).end === 'oom';
  } catch {
    return false;
  }
}
