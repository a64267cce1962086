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
 * Every line is read with the one console grammar (harness/formats/console_lines.ts), which the
 * report and the live display share. Does not read files or decide the run verdict (verdict.ts does).
 */

import { awkNumber, isAwkNumeric } from '../formats/awk_number.js';
import type { BadnessCounts, ConsoleFacts } from '../formats/console_facts.js';
import {
  BADNESS_KINDS,
  BENIGN,
  bootDoneSeconds,
  endOfTestTag,
  hasBangs,
  hasVer,
  isBadnessLine,
  isGpStateLine,
  isShutdownStartLine,
  isStartOfTestLine,
  isTortureFailureLine,
  isVerStatsLine,
  liveVer,
  lockdepTitles as findLockdepTitles,
  lockStats,
  objectCheckLine,
  onoffCounts,
  readerHistogram,
  stampSeconds,
  stripStamp,
  verWord,
  type HotplugCounts,
} from '../formats/console_lines.js';

/** The last line that `is` accepts. */
function lastMatch(lines: readonly string[], is: (line: string) => boolean): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i];
    if (l !== undefined && is(l)) return l;
  }
  return undefined;
}

function sequenceCheck(lines: readonly string[]): string {
  let ver = 0;
  let bad = false;
  let b1 = 0;
  let b2 = '';
  let bnr = 0;
  let nr = 0;
  for (const raw of lines) {
    if (!isVerStatsLine(raw)) continue;
    nr++;
    const v = verWord(stripStamp(raw)) ?? '';
    const numeric = isAwkNumeric(v);
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

function parseHotplug(lines: readonly string[]): HotplugCounts | null {
  const l = lastMatch(lines, (x) => onoffCounts(x) !== null);
  return l === undefined ? null : onoffCounts(l);
}

/** Boot seconds and test seconds (ConsoleFacts.bootSec, .testSec) from the stamps. */
function testTime(lines: readonly string[]): { bootSec: number | null; testSec: number | null } {
  const bootLine = lines.find((l) => bootDoneSeconds(l) !== null);
  const startLine = bootLine ?? lines.find(isStartOfTestLine);
  // The test stops when torture_shutdown starts the cleanup (verbose), else at End of test.
  const endLine =
    lines.find(isShutdownStartLine) ?? lastMatch(lines, (l) => endOfTestTag(l) !== null) ?? lastMatch(lines, (l) => !Number.isNaN(stampSeconds(l)));
  const from = startLine === undefined ? Number.NaN : stampSeconds(startLine);
  const to = endLine === undefined ? Number.NaN : stampSeconds(endLine);
  return {
    bootSec: bootLine === undefined ? null : bootDoneSeconds(bootLine),
    testSec: Number.isNaN(from) || Number.isNaN(to) ? null : Math.max(0, Math.round((to - from) * 1000) / 1000),
  };
}

/** The reasons that say only that the end-of-test line is missing (a stopped run has none). */
export const NO_SUCCESS_MESSAGE = 'no success message';
export const HOTPLUG_FAILURES = 'hotplug failures';

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
  const abjectFailure = text.includes('FAILURE') || lines.some(isTortureFailureLine);
  if (abjectFailure) {
    const bang = lastMatch(lines, hasBangs);
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
      reasons.push(HOTPLUG_FAILURES);
    } else {
      const nver = lines.filter(hasVer).length;
      flag(`${title} no success message, ${nver} successful version messages`);
      reasons.push(NO_SUCCESS_MESSAGE);
      if (seq !== '') {
        flag(`WARNING: ${title} ${seq}`);
        reasons.push(seq);
      }
    }
  }

  // console-badness.sh and the summary line.
  const scanned = lines.filter(isBadnessLine);
  const lockdepTitles = findLockdepTitles(msgs);
  const count = (re: RegExp, benign: boolean): number => lines.filter((l) => re.test(l) && !(benign && BENIGN.some((b) => l.includes(b)))).length;
  const badness = Object.fromEntries(BADNESS_KINDS.map((k) => [k.key, k.re === null ? lockdepTitles.length : count(k.re, k.benign)])) as BadnessCounts;
  if (scanned.length > 0) {
    out.push(`WARNING: Assertion failure in ${file} ${title}`);
    const summary = BADNESS_KINDS.filter((k) => badness[k.key] !== 0)
      .map((k) => `${k.label}: ${badness[k.key]}`)
      .join(' ');
    out.push(`WARNING: Summary: ${summary}`.trimEnd());
    diags.push(...scanned);
    for (const t of lockdepTitles) reasons.push(`lockdep: ${t}`);
    reasons.push(`console badness: ${summary === '' ? `${scanned.length} lines` : summary}`);
  }

  // Facts kvm-recheck-rcu.sh and kvm-recheck-lock.sh read.
  const endLine = lastMatch(msgs, (m) => endOfTestTag(m) !== null);
  const endOfTest = endLine === undefined ? null : endOfTestTag(endLine);
  const verLine = lastMatch(lines, hasVer);
  const lastWord = verLine === undefined ? undefined : verWord(verLine);
  const lastVer = lastWord !== undefined && /^\d+$/.test(lastWord) ? Number(lastWord) : null;
  const finalVerLine = lastMatch(lines, (x) => /-torture: /.test(x) && liveVer(x) !== null);
  const finalVer = finalVerLine === undefined ? null : liveVer(finalVerLine);
  const gpLine = lastMatch(msgs, isGpStateLine);
  let gpStopState = '';
  if (gpLine !== undefined) {
    const f = gpLine.trim().split(/\s+/);
    // awk '{ print "[" $1 " " $5 " " $6 " " $7 "]" }': a missing $7 (kernels before total-gps=)
    // leaves its separator, giving the kernel's `[rcu: g2257741 f0x2 ]`.
    gpStopState = `[${f[0] ?? ''} ${f[4] ?? ''} ${f[5] ?? ''} ${f[6] ?? ''}]`;
  }
  // objecttorture's verdict: the last one printed.
  const objectCheckOf = (ls: readonly string[]): ConsoleFacts['objectCheck'] => {
    const l = lastMatch(ls, (x) => objectCheckLine(x) !== null);
    return l === undefined ? null : objectCheckLine(l);
  };
  // kvm-recheck-lock.sh counts the writers only (`grep "Writes:  Total:" | tail -1`).
  const lastStats = (kind: 'Writes' | 'Reads'): ReturnType<typeof lockStats> => {
    const l = lastMatch(lines, (x) => lockStats(x)?.kind === kind);
    return l === undefined ? null : lockStats(l);
  };
  const writes = lastStats('Writes');
  const reads = lastStats('Reads');
  const acquisitions = writes?.total ?? null;
  const readAcquisitions = reads?.total ?? null;
  const batchLine = lastMatch(lines, (x) => readerHistogram(x)?.kind === 'Batch');
  const batch = batchLine === undefined ? null : readerHistogram(batchLine);
  const readerBatchCloseCalls = batch === null ? null : batch.buckets.slice(2).reduce((a, b) => a + b, 0);

  return {
    lines: out,
    diags,
    reasons,
    abjectFailure,
    badness,
    lockdepTitles,
    endOfTest,
    lastVer,
    finalVer,
    gpStopState,
    acquisitions,
    readAcquisitions,
    readerBatchCloseCalls,
    hotplug: parseHotplug(lines),
    writerMin: writes?.min ?? null,
    readerMin: reads?.min ?? null,
    objectCheck: objectCheckOf(lines),
    ...testTime(lines),
  };
}
