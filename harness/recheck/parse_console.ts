/*
 * parse-console.sh, console-badness.sh and the facts kvm-recheck-{rcu,lock}.sh read from a
 * console.log, as one pure function over the text.
 *
 * Semantics kept from the scripts:
 *   - abject failure: `FAILURE` anywhere, or a `-torture:` line with `!!!` ->
 *     `BUG: TITLE FAILURE, N instances` (N = sum of the last nine fields of the last `!!!` line,
 *     as the awk does);
 *   - the `torture:.*ver:` sequence check (`GP HANG at ...`, `BAD SEQ ...`), skipping `(null)` and
 *     zero-rtc lines; no `SUCCESS` -> `TITLE no success message, N successful version messages`
 *     or, with `_HOTPLUG:`, `WARNING: HOTPLUG FAILURES TITLE ...`;
 *   - the badness scan with console-badness.sh's patterns and exclusions, then
 *     `WARNING: Assertion failure in FILE TITLE` and `WARNING: Summary: ...` with only the nonzero
 *     fields (echo collapses the script's double spaces, so single spaces here).
 * Departures: the `lockdep:` field counts real lockdep reports (a `=====` banner followed by a
 * `WARNING:`/`BUG:` title), not the Badness count as the script's long-standing bug does; hung-task
 * lines (`INFO: task ... blocked`) are scanned and counted as `Hangs:`; no ANSI colours.
 * Does not read files or decide the run verdict (verdict.ts does).
 */

export interface BadnessCounts {
  readonly badness: number;
  readonly warnings: number;
  readonly bugs: number;
  readonly callTraces: number;
  readonly lockdep: number;
  readonly stalls: number;
  readonly starves: number;
  readonly hangs: number;
}

export interface HotplugCounts {
  readonly onlineOk: number;
  readonly onlineTry: number;
  readonly offlineOk: number;
  readonly offlineTry: number;
}

export interface ConsoleFacts {
  /** Output lines, in the scripts' order. */
  readonly lines: readonly string[];
  /** Lines that go to console.log.diags (non-empty means a runtime error). */
  readonly diags: readonly string[];
  /** Short reasons for summary.json, one per problem found. */
  readonly reasons: readonly string[];
  readonly abjectFailure: boolean;
  readonly badness: BadnessCounts;
  /** Titles of lockdep reports (`WARNING: possible circular locking dependency detected`). */
  readonly lockdepTitles: readonly string[];
  /** Tag of the last `End of test:` line (`SUCCESS`, `FAILURE`, `RCU_HOTPLUG`, ...), or null. */
  readonly endOfTest: string | null;
  /** Last `ver:` value (rcutorture), or null. */
  readonly lastVer: number | null;
  /** `[rcu: g123 f0x0 ]` from the last End-test grace-period state line, or ''. */
  readonly gpStopState: string;
  /** Total of the last `Writes:  Total:` line (locktorture; kvm-recheck-lock.sh's count), or null. */
  readonly acquisitions: number | null;
  /** Total of the last `Reads :  Total:` line (locktorture read-write types), or null. */
  readonly readAcquisitions: number | null;
  /** Sum of the last Reader Batch histogram beyond its first two buckets, or null. */
  readonly readerBatchCloseCalls: number | null;
  readonly hotplug: HotplugCounts | null;
}

const TIMESTAMP = /^\[[^\]]*\] ?/;
const BADNESS =
  /Badness|WARNING:|Warn|BUG|===========|BUG: KCSAN:|Call Trace:|Oops:|detected stalls on CPUs\/tasks:|self-detected stall on CPU|Stall ended before state dump start|\?\?\? Writer stall state|rcu_.*kthread starved for|!!!|INFO: task .* blocked/;
const BENIGN = [
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

const STALL = /detected stalls on CPUs\/tasks:|self-detected stall on CPU|Stall ended before state dump start|\?\?\? Writer stall state/;
const BANNER = /^={10,}$/;
const REPORT_TITLE = /^(WARNING|BUG): /;

/** The message part of a console line, without its `[ seconds.micros]` stamp. */
export function stripStamp(line: string): string {
  return line.replace(TIMESTAMP, '');
}

/** awk's numeric value of a field: its leading numeric prefix, else 0. */
function awkNumber(field: string): number {
  const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(field.trim());
  return m === null ? 0 : Number(m[0]);
}

const AWK_NUMERIC = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** awk's `%.6g` (how `print a / b` shows a number). */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = x.toExponential(5).split('e');
    const m = (mant ?? '').replace(/\.?0+$/, '');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return x.toPrecision(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function lastMatch(lines: readonly string[], re: RegExp): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (l !== undefined && re.test(l)) return l;
  }
  return undefined;
}

/** The word after `label` in `line` (`ver:` -> `3712`). */
function wordAfter(line: string, label: string): string | undefined {
  const i = line.lastIndexOf(` ${label} `);
  if (i < 0) return undefined;
  return line.slice(i + label.length + 2).trim().split(/\s+/)[0];
}

function sequenceCheck(lines: readonly string[]): string {
  let ver = 0;
  let bad = false;
  let b1 = 0;
  let b2 = '';
  let bnr = 0;
  let nr = 0;
  for (const raw of lines) {
    if (!/torture:.*ver:/.test(raw) || /\(null\)|rtc: 000000000* /.test(raw)) continue;
    nr++;
    const v = wordAfter(stripStamp(raw), 'ver:') ?? '';
    const numeric = AWK_NUMERIC.test(v);
    if (!bad && (!numeric || Number(v) <= ver)) {
      bad = true;
      b1 = ver;
      b2 = v;
      bnr = nr;
    }
    ver = awkNumber(v);
  }
  if (!bad) return '';
  return String(b1) === b2 && Number(b2) === ver ? `GP HANG at ${ver} torture stat ${bnr}` : `BAD SEQ ${b1}:${b2} last:${ver} version ${bnr}`;
}

function countLockdep(msgs: readonly string[]): string[] {
  const titles: string[] = [];
  for (let i = 0; i < msgs.length; i++) {
    if (!BANNER.test((msgs[i] ?? '').trim())) continue;
    const next = (msgs[i + 1] ?? '').trim();
    if (REPORT_TITLE.test(next)) titles.push(next);
  }
  return titles;
}

function parseHotplug(lines: readonly string[]): HotplugCounts | null {
  const l = lastMatch(lines, / onoff: \d+\/\d+:\d+\/\d+/);
  const m = l === undefined ? null : / onoff: (\d+)\/(\d+):(\d+)\/(\d+)/.exec(l);
  if (m === null) return null;
  return { onlineOk: Number(m[1]), onlineTry: Number(m[2]), offlineOk: Number(m[3]), offlineTry: Number(m[4]) };
}

/** Analyse one console. `file` is how the console is named in output, `title` the scenario. */
export function parseConsole(text: string, file: string, title: string): ConsoleFacts {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const msgs = lines.map(stripStamp);
  const out: string[] = [];
  const diags: string[] = [];
  const reasons: string[] = [];
  const flag = (line: string): void => {
    out.push(line);
    diags.push(line);
  };

  if (text.includes('\x00')) out.push('WARNING: Console output contains nul bytes, old qemu still running?');

  // parse-console.sh, first part (its `exit`s leave only this part, as they run in a subshell).
  const abjectFailure = text.includes('FAILURE') || lines.some((l) => /-torture.*!!!/.test(l));
  if (abjectFailure) {
    const bang = lastMatch(lines, /!!!/);
    let n = 0;
    if (bang !== undefined) {
      const f = bang.trim().split(/\s+/);
      for (let i = Math.max(0, f.length - 9); i < f.length; i++) n += awkNumber(f[i] ?? '');
    }
    flag(`BUG: ${title} FAILURE, ${n} instances`);
    reasons.push(`${title} FAILURE, ${n} instances`);
  } else {
    const seq = sequenceCheck(lines);
    if (text.includes('SUCCESS')) {
      if (seq !== '') {
        flag(`WARNING: ${title} ${seq}`);
        flag(`    ${file}`);
        reasons.push(seq);
      }
    } else if (text.includes('_HOTPLUG:')) {
      flag(`WARNING: HOTPLUG FAILURES ${title} ${seq}`.trimEnd());
      flag(`    ${file}`);
      reasons.push('hotplug failures');
    } else {
      const nver = lines.filter((l) => l.includes('ver:')).length;
      flag(`${title} no success message, ${nver} successful version messages`);
      reasons.push('no success message');
      if (seq !== '') {
        flag(`WARNING: ${title} ${seq}`);
        reasons.push(seq);
      }
    }
  }

  // console-badness.sh and the summary line.
  const scanned = lines.filter((l) => BADNESS.test(l) && !BENIGN.some((b) => l.includes(b)));
  const count = (re: RegExp, exclude: readonly string[] = []): number =>
    lines.filter((l) => re.test(l) && !exclude.some((b) => l.includes(b))).length;
  const lockdepTitles = countLockdep(msgs);
  const badness: BadnessCounts = {
    badness: count(/Badness/),
    warnings: count(/WARNING:|Warn/, BENIGN),
    bugs: count(/\bBUG|Oops:/),
    callTraces: count(/Call Trace:/),
    lockdep: lockdepTitles.length,
    stalls: count(STALL),
    starves: count(/rcu_.*kthread starved for/),
    hangs: count(/INFO: task .* blocked/),
  };
  if (scanned.length > 0) {
    out.push(`WARNING: Assertion failure in ${file} ${title}`);
    const fields: [string, number][] = [
      ['Badness', badness.badness],
      ['Warnings', badness.warnings],
      ['Bugs', badness.bugs],
      ['Call Traces', badness.callTraces],
      ['lockdep', badness.lockdep],
      ['Stalls', badness.stalls],
      ['Starves', badness.starves],
      ['Hangs', badness.hangs],
    ];
    const summary = fields
      .filter(([, n]) => n !== 0)
      .map(([k, n]) => `${k}: ${n}`)
      .join(' ');
    out.push(`WARNING: Summary: ${summary}`.trimEnd());
    diags.push(...scanned);
    for (const t of lockdepTitles) reasons.push(`lockdep: ${t}`);
    reasons.push(`console badness: ${summary === '' ? `${scanned.length} lines` : summary}`);
  }

  // Facts kvm-recheck-rcu.sh and kvm-recheck-lock.sh read.
  const endLine = lastMatch(msgs, /End of test: [A-Z_]+/);
  const endOfTest = endLine === undefined ? null : (/End of test: ([A-Z_]+)/.exec(endLine)?.[1] ?? null);
  const verLine = lastMatch(lines, /ver:/);
  const verWord = verLine === undefined ? undefined : /^.* ver: (\S*)/.exec(verLine)?.[1];
  const lastVer = verWord !== undefined && /^\d+$/.test(verWord) ? Number(verWord) : null;
  const gpLine = lastMatch(msgs, /End-test grace-period state: g/);
  let gpStopState = '';
  if (gpLine !== undefined) {
    const f = gpLine.trim().split(/\s+/);
    // awk '{ print "[" $1 " " $5 " " $6 " " $7 "]" }': a missing $7 (kernels before total-gps=)
    // leaves its separator, giving the kernel's `[rcu: g2257741 f0x2 ]`.
    gpStopState = `[${f[0] ?? ''} ${f[4] ?? ''} ${f[5] ?? ''} ${f[6] ?? ''}]`;
  }
  const writes = lastMatch(lines, /Writes: {2}Total:/);
  const reads = lastMatch(lines, /Reads : {2}Total:/);
  const total = (l: string | undefined): number | null => {
    const w = l === undefined ? undefined : /^.* Total: (\d+)/.exec(l)?.[1];
    return w === undefined ? null : Number(w);
  };
  // kvm-recheck-lock.sh counts the writers only (`grep "Writes:  Total:" | tail -1`).
  const acquisitions = total(writes);
  const readAcquisitions = total(reads);
  const batchLine = lastMatch(lines, /torture: Reader Batch/);
  let readerBatchCloseCalls: number | null = null;
  if (batchLine !== undefined) {
    const after = batchLine.slice(batchLine.indexOf('Batch:') + 'Batch:'.length).trim().split(/\s+/);
    readerBatchCloseCalls = after.slice(2).reduce((s, w) => s + awkNumber(w), 0);
  }

  return {
    lines: out,
    diags,
    reasons,
    abjectFailure,
    badness,
    lockdepTitles,
    endOfTest,
    lastVer,
    gpStopState,
    acquisitions,
    readAcquisitions,
    readerBatchCloseCalls,
    hotplug: parseHotplug(lines),
  };
}
