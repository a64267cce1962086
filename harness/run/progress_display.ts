/*
 * What a run shows on the terminal. Three modes, chosen by displayMode():
 *   live   stdout is a terminal, CI is unset and no --quiet: the log lines scroll as kvm.sh prints
 *          them, and below them a block redrawn in place (log-update) with one line per running
 *          guest — scenario, test time/duration and boot time (`booting` until all its CPUs are
 *          up), grace periods or acquisitions so far, hotplug
 *          operations, errors so far — and the batch count and time left. The guests' counters
 *          arrive over their IPC channels (guest_launch.ts onProgress).
 *   plain  not a terminal, or CI set: kvm.sh's plain lines, nothing redrawn.
 *   quiet  --quiet: only the summary (the recheck and the Done line); the log file has everything.
 * Colour (picocolors) marks `BUG:` red, `WARNING:` yellow and `SUCCESS` green, as kvm.sh's
 * print_bug/print_warning do, only on a terminal and never under NO_COLOR. The log file never
 * gets colour.
 */

import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { GuestProgress } from '../guest/guest_spec.js';
import { SUITES, type TortureSuite } from '../suites/index.js';

export type DisplayMode = 'live' | 'plain' | 'quiet';

export interface TerminalFacts {
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly quiet: boolean;
}

export function displayMode(t: TerminalFacts): DisplayMode {
  if (t.quiet) return 'quiet';
  const ci = t.env['CI'];
  return t.isTTY && (ci === undefined || ci === '' || ci === 'false' || ci === '0') ? 'live' : 'plain';
}

/** Colour only on a terminal and without NO_COLOR (https://no-color.org: any non-empty value). */
export function colourWanted(t: TerminalFacts): boolean {
  const nc = t.env['NO_COLOR'];
  return t.isTTY && (nc === undefined || nc === '');
}

const colours = pc.createColors(true);

/** kvm.sh's colours on one line. */
export function colourLine(l: string): string {
  return l
    .replace(/\bBUG:/g, colours.red('BUG:'))
    .replace(/\bWARNING:/g, colours.yellow('WARNING:'))
    .replace(/\bSUCCESS\b/g, colours.green('SUCCESS'));
}

interface GuestRow {
  readonly tag: string;
  readonly suite: TortureSuite;
  readonly durationSec: number;
  readonly startMs: number;
  progress: GuestProgress | null;
}

export interface RunDisplay {
  /** A log line (it is in the log file already); `summary` lines show even with --quiet. */
  line(l: string, summary?: boolean): void;
  batchStart(index: number, total: number): void;
  guestStart(name: string, tag: string, suite: TortureSuite, durationSec: number): void;
  guestProgress(name: string, p: GuestProgress): void;
  guestEnd(name: string): void;
  close(): void;
}

function mmss(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The live block's text (exported for tests). */
export function liveBlock(rows: readonly GuestRow[], batch: number, batches: number, durationSec: number, nowMs: number, colour: boolean): string {
  const lines: string[] = [];
  let longest = 0;
  for (const r of rows) {
    const p = r.progress;
    // Test time counts from the end of the guest's boot (harness/guest/guest_main.ts): show both.
    const bootSec = p?.bootSec ?? null;
    const el = Math.max(0, (nowMs - r.startMs) / 1000 - (bootSec ?? 0));
    longest = Math.max(longest, bootSec === null ? 0 : el);
    const { counter, unit } = SUITES[r.suite].progress;
    const work = `${p?.[counter] ?? 0} ${unit}`;
    const hot = `hotplug ${p?.hotplugOk ?? 0}/${p?.hotplugTried ?? 0}`;
    const errs = p?.errors ?? 0;
    const errText = `errors ${errs}`;
    const clock = bootSec === null ? `booting ${el.toFixed(1)} s` : `${mmss(el)}/${mmss(r.durationSec)}`;
    const boot = bootSec === null ? '' : `  boot ${bootSec.toFixed(1)} s`;
    lines.push(`  ${r.tag.padEnd(14)} ${clock}  ${work}  ${hot}  ${errs > 0 && colour ? colours.red(errText) : errText}${boot}`);
  }
  const left = Math.max(0, durationSec - longest) + (batches - batch) * durationSec;
  lines.unshift(`---- batch ${batch}/${batches}, ${rows.length} guest${rows.length === 1 ? '' : 's'} running, about ${mmss(left)} left`);
  return lines.join('\n');
}

/** The display for a run on `stream` (process.stdout normally). */
export function createRunDisplay(mode: DisplayMode, colour: boolean, out: (l: string) => void, stream: NodeJS.WritableStream, durationSec: number): RunDisplay {
  const paint = (l: string): string => (colour ? colourLine(l) : l);
  // A terminal of unknown size (a pty nobody sized: 0 rows) cannot hold a redrawn block.
  const size = stream as { rows?: number; columns?: number };
  if (mode === 'live' && !((size.rows ?? 0) > 0 && (size.columns ?? 0) > 0)) mode = 'plain';
  if (mode !== 'live') {
    return {
      line: (l, summary) => {
        if (mode === 'plain' || summary === true) out(paint(l));
      },
      batchStart: () => {},
      guestStart: () => {},
      guestProgress: () => {},
      guestEnd: () => {},
      close: () => {},
    };
  }
  const live = createLogUpdate(stream, { showCursor: true });
  const rows = new Map<string, GuestRow>();
  let batch = 0;
  let batches = 0;
  const render = (): void => {
    if (rows.size === 0) live.clear();
    else live(liveBlock([...rows.values()], batch, batches, durationSec, Date.now(), colour));
  };
  const timer = setInterval(render, 1000);
  timer.unref();
  return {
    line: (l) => {
      live.clear();
      out(paint(l));
      render();
    },
    batchStart: (i, n) => {
      batch = i;
      batches = n;
    },
    guestStart: (name, tag, suite, dur) => {
      rows.set(name, { tag, suite, durationSec: dur, startMs: Date.now(), progress: null });
      render();
    },
    guestProgress: (name, p) => {
      const r = rows.get(name);
      if (r !== undefined) r.progress = p;
      render();
    },
    guestEnd: (name) => {
      rows.delete(name);
      render();
    },
    close: () => {
      clearInterval(timer);
      live.clear();
    },
  };
}
