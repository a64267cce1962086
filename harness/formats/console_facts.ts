/*
 * What recheck reads out of a console.log (harness/recheck/parse_console.ts computes it), as a
 * type on the ground floor: the suites' headlines and rules (harness/suites/) read these facts,
 * and recheck runs the suites, so the vocabulary both speak sits below both.
 */

import type { BadnessKind, HotplugCounts, ObjectCheckVerdict } from './console_lines.js';

/** console-badness.sh's counts, one per kind of console_lines.ts's BADNESS_KINDS. */
export type BadnessCounts = Readonly<Record<BadnessKind, number>>;

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
  /** The last stats line's version in either case (`ver:`, or `VER:` once the writer's element is gone), or null. */
  readonly finalVer: number | null;
  /** `[rcu: g123 f0x0 ]` from the last End-test grace-period state line, or ''. */
  readonly gpStopState: string;
  /** Total of the last `Writes:  Total:` line (locktorture; kvm-recheck-lock.sh's count), or null. */
  readonly acquisitions: number | null;
  /** Total of the last `Reads :  Total:` line (locktorture read-write types), or null. */
  readonly readAcquisitions: number | null;
  /** Sum of the last Reader Batch histogram beyond its first two buckets, or null. */
  readonly readerBatchCloseCalls: number | null;
  readonly hotplug: HotplugCounts | null;
  /** `Max/Min:` least of the last `Writes:` line (the least busy writer's acquisitions), or null. */
  readonly writerMin: number | null;
  /** `Max/Min:` least of the last `Reads :` line, or null. */
  readonly readerMin: number | null;
  /** objecttorture's last linearizability verdict line (absent or null: none printed). */
  readonly objectCheck?: { readonly verdict: ObjectCheckVerdict; readonly operations: number; readonly tasks: number } | null;
  /** Seconds of boot the guest reported (`torture: all N CPUs up after S s of boot`), or null. */
  readonly bootSec: number | null;
  /**
   * Seconds of test: from the start of the test (the boot-done line; `Start of test` in consoles
   * without one) to its stop (torture_shutdown's `shutting down system`, else the `End of test`
   * line, else the last stamped line), by their stamps; null without stamps.
   */
  readonly testSec: number | null;
}
