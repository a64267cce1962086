/*
 * One run session: what every command that fills a new results directory shares around its own
 * units of work — the driver's batches (run_batches.ts, and so `torture again`), the battery's jobs
 * (harness/nightly/run_battery.ts) and `torture merge`. Kept in one place so that the rules cannot
 * drift apart between them:
 *
 *  - the results directory must not exist yet and must be creatable (checked before anything
 *    starts), and is made one component at a time; when the user chose no --datestamp, a default
 *    already taken (three runs started in the same second) gets the first free `.N` suffix
 *    (`2026.12.06-20.40.01.2`: kvm.sh's own --datestamp pattern, ^[a-zA-Z0-9._/-]*$, accepts it),
 *    claimed by mkdir itself so that two runs never share one; a --datestamp the user chose
 *    that exists stays an error;
 *  - `log` starts with the command line as typed; every later line goes to the log and is echoed
 *    to the terminal; a line the log cannot take (a full disk) is still echoed, and the first such
 *    failure is kept (writeFailures) for the caller to print with its summary and fail on;
 *  - SIGINT (exit 130), SIGTERM (exit 1) and, for the driver, a STOP file in the results directory
 *    end the session early: one stop line is logged, whatever runs is killed, the remaining units
 *    are recorded as "not run (reason)", and the caller still writes its summary (nothing is lost);
 *  - close() removes the signal handlers and the STOP poll, so a test process can run many sessions.
 *
 * The session does not know what a unit is: the caller's loop asks stopReason between units and
 * says what to kill through onStop().
 */

import { accessSync, appendFileSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { WriteFailure, asWriteFailure } from '../lib/write_file_atomic.js';

const STOP_POLL_MS = 250;
/** The stop reason of a STOP file. */
export const STOP_FILE_FOUND = 'STOP file found';

/** Exit code after each signal, as kvm.sh's users expect them (130 = 128 + SIGINT). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 1 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

function existingResdir(resdir: string): TortureError {
  return new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must not exist yet (choose another --datestamp): current value is an existing path`);
}

/**
 * The results directory must not exist yet (unless `unique`: a default datestamp, which takes a
 * suffix), and must be creatable: its nearest existing ancestor is a directory we may write
 * (checked before anything starts: `--results /etc/hostname/sub`).
 */
export function checkResdirFree(resdir: string, unique = false): void {
  if (!unique && existsSync(resdir)) throw existingResdir(resdir);
  let dir = path.dirname(resdir);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  let why: string | null = null;
  try {
    if (!statSync(dir).isDirectory()) why = `${dir} is a file`;
    else accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    why ??= `${dir} is not writable (${errorCode(e)})`;
  }
  if (why !== null) {
    throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must be creatable (check --results and --datestamp): current value is under ${why}`);
  }
}

function errorCode(e: unknown): string {
  return e instanceof Error && 'code' in e ? String(e.code) : String(e);
}

/**
 * mkdir -p, one component at a time: node's recursive mkdirSync never returns on some
 * filesystems (under /proc it loops on ENOENT), and each failure here is a clean exit 2 naming
 * `resdir`, the results directory `dir` is made for.
 */
function mkdirEach(dir: string, resdir: string = dir): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must be creatable: current value fails at ${d} (${errorCode(e)})`, { cause: e });
    }
  }
}

/**
 * Make `resdir` (its parents first) and return it; when it exists, `unique` takes the first free
 * `resdir.N` (N = 2, 3, ...), else it is an error. The last mkdir is exclusive, so two sessions
 * started together never get the same directory.
 */
export function claimResdir(resdir: string, unique: boolean): string {
  mkdirEach(path.dirname(resdir), resdir);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? resdir : `${resdir}.${n}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${dir}' must be creatable: current value fails at ${dir} (${errorCode(e)})`, { cause: e });
      if (!unique) throw existingResdir(resdir);
    }
  }
}

/**
 * A log file that starts with `firstLine` (a failure to create it throws WriteFailure); each
 * later line is appended and echoed. A line that cannot be appended is still echoed, and
 * `onFailure` hears of it.
 */
export function openLog(
  file: string,
  firstLine: string,
  echo: (line: string, summary: boolean) => void,
  onFailure: (f: WriteFailure) => void = () => undefined,
): (line: string, summary?: boolean) => void {
  try {
    writeFileSync(file, `${firstLine}\n`);
  } catch (e) {
    throw new WriteFailure(file, e);
  }
  return (line, summary = false) => {
    try {
      appendFileSync(file, line + '\n');
    } catch (e) {
      onFailure(new WriteFailure(file, e));
    }
    echo(line, summary);
  };
}

export interface SessionOptions {
  readonly resdir: string;
  /** The command line as typed: the first line of `log`. */
  readonly commandLine: string;
  /** The terminal: every logged line (summary: it belongs to the closing summary). */
  readonly echo: (line: string, summary: boolean) => void;
  /** Printed (not logged: the log already starts with the command line) when the session opens. */
  readonly banner?: string;
  /** The line logged once when the session is stopped early (`why`: SIGINT, SIGTERM, STOP file found). */
  readonly stopLine?: (why: string) => string;
  /** Poll RESDIR/STOP (the driver's kvm.sh convention). */
  readonly stopFile?: boolean;
  /** The user chose no --datestamp: a `resdir` already taken becomes `resdir.N` (see the header). */
  readonly uniqueResdir?: boolean;
}

/** What a caller kills when the session stops: `signal` is null for the STOP file. */
export type StopHandler = (why: string, signal: StopSignal | null) => void;

export class RunSession {
  readonly resdir: string;
  readonly log: (line: string, summary?: boolean) => void;
  #stopReason: string | null = null;
  #signalRc: number | null = null;
  #onStop: StopHandler = () => undefined;
  readonly #stopLine: ((why: string) => string) | undefined;
  readonly #handlers: [StopSignal, () => void][] = [];
  #poll: NodeJS.Timeout | null = null;
  readonly #writeFailures: string[] = [];

  /**
   * Create the results directory (`resdir`, or with `uniqueResdir` its first free `.N`: read
   * this.resdir) and its log; with `stopLine`, catch SIGINT/SIGTERM from now on.
   */
  constructor(o: SessionOptions) {
    checkResdirFree(o.resdir, o.uniqueResdir === true);
    this.resdir = claimResdir(o.resdir, o.uniqueResdir === true);
    this.log = openLog(path.join(this.resdir, 'log'), o.commandLine, o.echo, (f) => this.writeFailed(f));
    if (o.banner !== undefined) o.echo(o.banner, false);
    this.#stopLine = o.stopLine;
    if (o.stopLine === undefined) return;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const h = (): void => {
        this.#signalRc ??= SIGNAL_EXIT[sig];
        this.stop(sig, sig);
      };
      process.on(sig, h);
      this.#handlers.push([sig, h]);
    }
    if (o.stopFile === true) {
      const stopFile = path.join(this.resdir, 'STOP');
      this.#poll = setInterval(() => {
        if (existsSync(stopFile)) this.stop(STOP_FILE_FOUND, null);
      }, STOP_POLL_MS);
    }
  }

  /** Note a results file that could not be written (once per message): the session fails. */
  writeFailed(f: WriteFailure): void {
    if (!this.#writeFailures.includes(f.message)) this.#writeFailures.push(f.message);
  }

  /**
   * `e` was thrown while writing results: a filesystem error (a full disk) is noted and ends the
   * session as a STOP file would (what ran is still judged and summed up); anything else is a bug
   * and is thrown again.
   */
  failWrite(e: unknown): void {
    const f = asWriteFailure(e, this.resdir);
    if (f === null) throw e;
    this.writeFailed(f);
    this.stop(f.message, null);
  }

  /** The `Cannot write ...` lines of every file that could not be written, in order. */
  get writeFailures(): readonly string[] {
    return this.#writeFailures;
  }

  /** Why the session was stopped early, or null while it runs on. */
  get stopReason(): string | null {
    return this.#stopReason;
  }

  /** What to kill when the session stops (called on every stop request, not only the first). */
  onStop(h: StopHandler): void {
    this.#onStop = h;
  }

  /** End early: log the stop line once, kill what runs every time (a second ^C kills again). */
  stop(why: string, signal: StopSignal | null): void {
    if (this.#stopReason === null) {
      this.#stopReason = why;
      if (this.#stopLine !== undefined) this.log(this.#stopLine(why));
    }
    this.#onStop(why, signal);
  }

  /** `not run (reason)` for a unit skipped after a stop (`word` as the caller's log spells it). */
  notRun(word = 'not run'): string {
    return `${word} (${this.#stopReason ?? 'not stopped'})`;
  }

  /** The session's exit code: the signal's if one stopped it, else the caller's verdict (1 at least after a write failure). */
  exitCode(verdict: number): number {
    return this.#signalRc ?? (this.#writeFailures.length > 0 && verdict === 0 ? 1 : verdict);
  }

  /** Stop listening for signals and the STOP file (the caller then writes its summary). */
  close(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
    for (const [sig, h] of this.#handlers.splice(0)) process.off(sig, h);
  }
}
