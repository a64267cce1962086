/*
 * The console-line grammar: every line a guest prints that something parses, in one place, so
 * that the judge (harness/recheck/), the HTML report (harness/report/), the live display
 * (harness/guest/progress_counters.ts), lockdep's report reader and the suites read a line the
 * same way. Before, each kept its own regexes and they disagreed (the report missed the kernel's
 * failing `rcu-torture: !!! Reader Pipe:` form, so a failing run had no Reader Pipe chart).
 *
 * The lines, as the kernel prints them (CONFIG_PRINTK_TIME stamp first, harness/lib/printk_time.ts):
 *
 *   [    2.000000] rcu-torture: rtc: 00000000a1b2c3d4 ver: 100 tfle: 0 ... onoff: a/b:c/d e,f:g,h i:j (HZ=1000) ...
 *   [   10.000000] rcu-torture: rtc: (null) VER: 300 ...          (the writer's element is gone)
 *   [    2.000000] rcu-torture: Reader Pipe:  n0 n1 ...           (`!!! Reader Pipe:` when it failed)
 *   [    2.000000] rcu-torture: Reader Batch:  n0 n1 ...
 *   [    1.000000] <type>-torture: Writes:  Total: T  Max/Min: a/b ???  Fail: f !!!   (`Reads :` for rw types)
 *   [   10.000000] rcu-torture:--- End of test: SUCCESS: ...
 *   [   10.000000] rcu:  End-test grace-period state: g1200 f0x0 total-gps=300
 *   [    5.000000] ======================================================
 *   [    5.000000] WARNING: possible circular locking dependency detected   (a lockdep report title)
 *   [   18.000000] sysrq: Show State                  (the state dump of a guest about to be killed,
 *   [   18.000000] sysrq: Stuck: w/7 waits for ...     ending with the one-line answer of what is stuck)
 *
 * `onoff:` is torture_onoff_stats(): onlines ok/tried : offlines ok/tried, min,max online latency :
 * min,max offline latency, summed online : offline latency, in jiffies.
 *
 * Pure: a line (or the lines) in, fields out. What a finding means is recheck's business. The
 * coverage block a guest prints last (`coverage: ...`) has its grammar beside its writer, in
 * coverage_block.ts.
 */

import { awkNumber } from './awk_number.js';

const STAMP = /^\[[^\]]*\] ?/;
const STAMP_SECONDS = /^\[\s*([0-9]+\.[0-9]+)\]/;

/** The message part of a console line, without its `[ seconds.micros]` stamp. */
export function stripStamp(line: string): string {
  return line.replace(STAMP, '');
}

/** The stamp's seconds since boot, or NaN for a line without one. */
export function stampSeconds(line: string): number {
  const m = STAMP_SECONDS.exec(line);
  return m === null ? Number.NaN : Number(m[1]);
}

// ---- badness (console-badness.sh) ---------------------------------------------------------------

const BADNESS =
  /Badness|WARNING:|Warn|BUG|===========|BUG: KCSAN:|Call Trace:|Oops:|detected stalls on CPUs\/tasks:|self-detected stall on CPU|Stall ended before state dump start|\?\?\? Writer stall state|rcu_.*kthread starved for|!!!|INFO: task .* blocked/;
/** console-badness.sh's exclusions: lines that match BADNESS but are not trouble. */
export const BENIGN: readonly string[] = [
  'ODEBUG: ',
  'This means that this is a DEBUG kernel and it is',
  'Warning: unable to open an initial console',
  'Warning: Failed to add ttynull console',
  'NOHZ tick-stop error: Non-RCU local softirq work is pending, handler',
];

/** One console line console-badness.sh would report (the live error count of a running guest). */
export function isBadnessLine(line: string): boolean {
  return BADNESS.test(line) && !BENIGN.some((b) => line.includes(b));
}

/**
 * The kinds parse-console.sh's `Summary:` line counts, in its order: each a pattern and the
 * exclusions it honours (only the warnings skip the benign lines, as in the script).
 */
export const BADNESS_KINDS = [
  { key: 'badness', label: 'Badness', re: /Badness/, benign: false },
  { key: 'warnings', label: 'Warnings', re: /WARNING:|Warn/, benign: true },
  { key: 'bugs', label: 'Bugs', re: /\bBUG|Oops:/, benign: false },
  { key: 'callTraces', label: 'Call Traces', re: /Call Trace:/, benign: false },
  { key: 'lockdep', label: 'lockdep', re: null, benign: false },
  {
    key: 'stalls',
    label: 'Stalls',
    re: /detected stalls on CPUs\/tasks:|self-detected stall on CPU|Stall ended before state dump start|\?\?\? Writer stall state/,
    benign: false,
  },
  { key: 'starves', label: 'Starves', re: /rcu_.*kthread starved for/, benign: false },
  { key: 'hangs', label: 'Hangs', re: /INFO: task .* blocked/, benign: false },
] as const;
export type BadnessKind = (typeof BADNESS_KINDS)[number]['key'];

/** A `-torture:` line with `!!!`: the torture test itself failed (parse-console.sh's abject failure). */
export function isTortureFailureLine(line: string): boolean {
  return /-torture.*!!!/.test(line);
}

/** Any line with `!!!` (the last one carries the failure's instance counts). */
export function hasBangs(line: string): boolean {
  return line.includes('!!!');
}

/** Where a splat starts: a lockdep banner, a BUG:/WARNING:/hung-task/Oops line, or a failing `-torture:` line. */
export function isSplatStart(line: string): boolean {
  return /\] (={10,}|BUG: |WARNING: |INFO: task |Oops)/.test(line) || /-torture:.*!!!/.test(line);
}

// ---- lockdep report titles ----------------------------------------------------------------------

const BANNER = /^={10,}$/;
// `[ BUG: Invalid wait context ]` is the one title lockdep prints in brackets.
const REPORT_TITLE = /^(WARNING|BUG): |^\[ BUG: /;

/** Whether a stamp-less message is lockdep's `=====...` banner line. */
export function isReportBanner(msg: string): boolean {
  return BANNER.test(msg.trim());
}

/** Titles of lockdep reports among stamp-less messages: a `=====` banner followed by a WARNING:/BUG: line. */
export function lockdepTitles(msgs: readonly string[]): string[] {
  const titles: string[] = [];
  for (let i = 0; i < msgs.length; i++) {
    if (!isReportBanner(msgs[i] ?? '')) continue;
    const next = (msgs[i + 1] ?? '').trim();
    if (REPORT_TITLE.test(next)) titles.push(next);
  }
  return titles;
}

// ---- rcutorture `ver:` --------------------------------------------------------------------------

/** Whether a line carries a `ver:` field at all (parse-console.sh's count of version messages). */
export function hasVer(line: string): boolean {
  return line.includes('ver:');
}

/**
 * A stats line the `ver:` sequence check reads (`torture:.*ver:`), skipping `(null)` and zero-rtc
 * lines, as parse-console.sh does.
 */
export function isVerStatsLine(line: string): boolean {
  return /torture:.*ver:/.test(line) && !/\(null\)|rtc: 000000000* /.test(line);
}

/** The word after the last ` ver: ` of a line (`3712`), or undefined. */
export function verWord(line: string): string | undefined {
  const i = line.lastIndexOf(' ver: ');
  if (i < 0) return undefined;
  return line.slice(i + ' ver: '.length).trim().split(/\s+/)[0];
}

/** The version a stats line reports, in either case (`VER:` once the writer stopped), or null. */
export function liveVer(line: string): number | null {
  const m = /\bver: (\d+)/i.exec(line);
  return m === null ? null : Number(m[1]);
}

// ---- `onoff:` -----------------------------------------------------------------------------------

export interface HotplugCounts {
  readonly onlineOk: number;
  readonly onlineTry: number;
  readonly offlineOk: number;
  readonly offlineTry: number;
}

export interface OnoffStats extends HotplugCounts {
  readonly onlineMinJ: number;
  readonly onlineMaxJ: number;
  readonly offlineMinJ: number;
  readonly offlineMaxJ: number;
  readonly onlineSumJ: number;
  readonly offlineSumJ: number;
  readonly hz: number;
}

// The counts are the full field's first four groups (torture_onoff_stats() prints them first).
const ONOFF = / onoff: (\d+)\/(\d+):(\d+)\/(\d+)/;
const ONOFF_FULL = / onoff: (\d+)\/(\d+):(\d+)\/(\d+) (-?\d+),(\d+):(-?\d+),(\d+) (\d+):(\d+) \(HZ=(\d+)\)/;

/** The operation counts of an `onoff:` field, or null. */
export function onoffCounts(line: string): HotplugCounts | null {
  const m = ONOFF.exec(line);
  if (m === null) return null;
  return { onlineOk: Number(m[1]), onlineTry: Number(m[2]), offlineOk: Number(m[3]), offlineTry: Number(m[4]) };
}

/** A complete `onoff:` field (counts, latencies, HZ), or null. */
export function onoffStats(line: string): OnoffStats | null {
  const m = ONOFF_FULL.exec(line);
  if (m === null) return null;
  const n = m.slice(1).map(Number);
  return {
    onlineOk: n[0] ?? 0,
    onlineTry: n[1] ?? 0,
    offlineOk: n[2] ?? 0,
    offlineTry: n[3] ?? 0,
    onlineMinJ: n[4] ?? 0,
    onlineMaxJ: n[5] ?? 0,
    offlineMinJ: n[6] ?? 0,
    offlineMaxJ: n[7] ?? 0,
    onlineSumJ: n[8] ?? 0,
    offlineSumJ: n[9] ?? 0,
    hz: n[10] ?? 1000,
  };
}

// ---- locktorture `Writes:` / `Reads :` ----------------------------------------------------------

export interface LockStatsLine {
  readonly kind: 'Writes' | 'Reads';
  readonly total: number;
  /** `Max/Min:` (the most and least one task took), or null when the line stops before it. */
  readonly max: number | null;
  readonly min: number | null;
}

const LOCK_STATS = /(Writes|Reads ): {2}Total: (\d+)(?:\s+Max\/Min: (\d+)\/(\d+))?/;

/** A locktorture stats line (`Writes:  Total: T  Max/Min: a/b ...`), or null. */
export function lockStats(line: string): LockStatsLine | null {
  const m = LOCK_STATS.exec(line);
  if (m === null) return null;
  return {
    kind: m[1] === 'Writes' ? 'Writes' : 'Reads',
    total: Number(m[2]),
    max: m[3] === undefined ? null : Number(m[3]),
    min: m[4] === undefined ? null : Number(m[4]),
  };
}

// ---- objecttorture's linearizability verdict (ours) ---------------------------------------------

/*
 *   locked_queue-torture: linearizable: 4000 operations by 4 tasks (checked in 12 ms)
 *   racy_ring-torture: !!! not linearizable: 4000 operations by 4 tasks; minimal history: ...
 *   locked_queue-torture: linearizability unknown: 4000 operations by 4 tasks: ...
 */
export const OBJECT_CHECK_VERDICTS = ['linearizable', 'not linearizable', 'unknown'] as const;
export type ObjectCheckVerdict = (typeof OBJECT_CHECK_VERDICTS)[number];

const OBJECT_CHECK = /-torture: (?:!!! )?(linearizable|not linearizable|linearizability unknown): (\d+) operations by (\d+) tasks/;

/** objecttorture's verdict line: the verdict and the history's size, or null for any other line. */
export function objectCheckLine(line: string): { verdict: ObjectCheckVerdict; operations: number; tasks: number } | null {
  const m = OBJECT_CHECK.exec(line);
  if (m === null) return null;
  const verdict = m[1] === 'linearizability unknown' ? 'unknown' : m[1] === 'linearizable' ? 'linearizable' : 'not linearizable';
  return { verdict, operations: Number(m[2]), tasks: Number(m[3]) };
}

// ---- rcutorture Reader Pipe / Reader Batch ------------------------------------------------------

export interface ReaderHistogram {
  readonly kind: 'Pipe' | 'Batch';
  /** `!!! Reader Pipe:`: rcutorture saw readers of too-old elements (the test failed). */
  readonly failed: boolean;
  /** Bucket i = readers that saw i grace periods (awk's value of each field). */
  readonly buckets: readonly number[];
}

const READER_HISTOGRAM = /torture: (!!! )?Reader (Pipe|Batch):(.*)$/;

/** A Reader Pipe or Reader Batch line, in its passing or its failing (`!!!`) form, or null. */
export function readerHistogram(line: string): ReaderHistogram | null {
  const m = READER_HISTOGRAM.exec(line);
  if (m === null) return null;
  const words = (m[3] ?? '').trim().split(/\s+/).filter((w) => w !== '');
  return { kind: m[2] === 'Pipe' ? 'Pipe' : 'Batch', failed: m[1] !== undefined, buckets: words.map(awkNumber) };
}

// ---- end of test ------------------------------------------------------------------------------------

/** The tag of an `End of test:` line (`SUCCESS`, `FAILURE`, `RCU_HOTPLUG`, ...), or null. */
export function endOfTestTag(msg: string): string | null {
  return /End of test: ([A-Z_]+)/.exec(msg)?.[1] ?? null;
}

/** Whether a message is the `End-test grace-period state: g...` line. */
export function isGpStateLine(msg: string): boolean {
  return /End-test grace-period state: g/.test(msg);
}

// ---- the state dump of a guest about to be killed (harness/cpu/show_state.ts) ----------------------

/** The header of show_state()'s dump, as sysrq-t prints it. */
export const SHOW_STATE_HEADER = 'sysrq: Show State';
/** Our last line of the dump: the stuck tasks or CPUs in one line. */
export const SHOW_STATE_STUCK = 'sysrq: Stuck: ';

/** What the last state dump of a console says is stuck, or null when the console has no dump. */
export function stateDumpStuck(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const msg = stripStamp(lines[i] ?? '');
    if (msg.startsWith(SHOW_STATE_STUCK)) return msg.slice(SHOW_STATE_STUCK.length).trim();
  }
  return null;
}

// ---- boot time and the start of the test (ours) ---------------------------------------------------

/*
 *   [    1.234567] torture: all 4 CPUs up after 1.234 s of boot: test time starts
 *
 * The guest prints it when every CPU has booted and the torture kthreads start to run (the boot
 * barrier): from here the torture clock (shutdown_secs, `--duration`) counts. A worker thread's
 * boot is far slower than a CPU's and grows with the host's load, so it is measured apart.
 */
const BOOT_DONE = /torture: all (\d+) CPUs up after ([0-9.]+) s of boot: test time starts/;

/** The guest's boot-done line (without its stamp). */
export function bootDoneLine(nrCpus: number, bootSec: number): string {
  return `torture: all ${nrCpus} CPUs up after ${bootSec.toFixed(3)} s of boot: test time starts`;
}

/** The boot seconds of a boot-done line, or null for any other line. */
export function bootDoneSeconds(line: string): number | null {
  const m = BOOT_DONE.exec(line);
  return m === null ? null : Number(m[2]);
}

/** Whether a line is torture_shutdown's `shutting down system` (verbose): the test stops there. */
export function isShutdownStartLine(line: string): boolean {
  return /-torture: torture_shutdown task shutting down system/.test(line);
}

/** Whether a line is a torture module's `Start of test` parameter line. */
export function isStartOfTestLine(line: string): boolean {
  return /-torture:--- Start of test/.test(line);
}
