/*
 * One run session: what every command that fills a new results directory shares around its own
 * units of work — the driver's batches (run_batches.ts, and so `torture again`), the battery's jobs
 * (harness/nightly/run_battery.ts) and `torture merge`. Kept in one place so that the rules cannot
 * drift apart between them:
 *
 *  - the results directory must not exist yet and must be creatable (checked before anything
 *    starts), and is made one component at a time;
 *  - `log` starts with the command line as typed; every later line goes to the log and is echoed
 *    to the terminal;
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

const STOP_POLL_MS = 250;

/** Exit code after each signal, as kvm.sh's users expect them (130 = 128 + SIGINT). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 1 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/**
 * The results directory must not exist yet, and must be creatable: its nearest existing ancestor
 * is a directory we may write (checked before anything starts: `--results /etc/hostname/sub`).
 */
export function checkResdirFree(resdir: string): void {
  if (existsSync(resdir)) {
    throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${resdir}' must not exist yet (choose another --datestamp): current value is an existing path`);
  }
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
 * filesystems (under /proc it loops on ENOENT), and each failure here is a clean exit 2.
 */
function mkdirEach(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new TortureError('RESULTS_DIR', `Cannot create results directory as '${dir}' must be creatable: current value fails at ${d} (${errorCode(e)})`, { cause: e });
    }
  }
}

/** A log file that starts with `firstLine`; each later line is appended and echoed. */
export function openLog(file: string, firstLine: string, echo: (line: string, summary: boolean) => void): (line: string, summary?: boolean) => void {
  writeFileSync(file, `${firstLine}\n`);
  return (line, summary = false) => {
    appendFileSync(file, line + '\n');
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

  /** Create the results directory and its log; with `stopLine`, catch SIGINT/SIGTERM from now on. */
  constructor(o: SessionOptions) {
    this.resdir = o.resdir;
    checkResdirFree(o.resdir);
    mkdirEach(o.resdir);
    this.log = openLog(path.join(o.resdir, 'log'), o.commandLine, o.echo);
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
      const stopFile = path.join(o.resdir, 'STOP');
      this.#poll = setInterval(() => {
        if (existsSync(stopFile)) this.stop('STOP file found', null);
      }, STOP_POLL_MS);
    }
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

  /** The session's exit code: the signal's if one stopped it, else the caller's verdict. */
  exitCode(verdict: number): number {
    return this.#signalRc ?? verdict;
  }

  /** Stop listening for signals and the STOP file (the caller then writes its summary). */
  close(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
    for (const [sig, h] of this.#handlers.splice(0)) process.off(sig, h);
  }
}
