/*
 * One scan of the wait-for table: a confirmed cycle becomes a `DEADLOCK:` report, a wait longer
 * than the hung-task timeout that is on no cycle becomes an `INFO: task ... blocked` report. Each
 * wait is reported once, by whichever scanner claims it first (WaitForTable.claim() on the
 * members' slots), so every member of a cycle and a watchdog may all scan.
 *
 * A cycle is confirmed when the previous scan of the same scanner saw it too, with the same
 * wait generations, and every member has published its text: a lock released a moment ago whose
 * waiter has not yet woken is never a deadlock, as its waiter's generation changes when it takes
 * the lock and blocks again.
 */

import { cycleKey, findCycle, WAIT_NONE, type WaitForTable, type WaitView } from './wait_for.js';
import { canonicalCycle, deadlockReport, hungTaskReport } from './wait_report.js';

export type WaitReportKind = 'deadlock' | 'hung_task';

export interface WaitReport {
  readonly kind: WaitReportKind;
  readonly title: string;
  readonly lines: readonly string[];
  readonly text: string;
}

export interface ScanOptions {
  /** Seconds a thread may stay blocked before it is a hung task; 0: never. */
  readonly hungTaskTimeoutSecs: number;
  readonly release: string;
}

function report(kind: WaitReportKind, lines: string[]): WaitReport {
  const title = kind === 'deadlock' ? (lines[1] ?? '') : (lines[0] ?? '');
  return { kind, title, lines, text: lines.join('\n') };
}

export class WaitScanner {
  readonly #table: WaitForTable;
  readonly #opts: ScanOptions;
  /** Cycles seen by the previous scan (cycleKey), to confirm them on this one. */
  #seen = new Set<string>();

  constructor(table: WaitForTable, opts: ScanOptions) {
    this.#table = table;
    this.#opts = opts;
  }

  /**
   * Scan; `only` >= 0 looks at that slot's wait alone (a waiter checking itself), -1 at every
   * thread (a watchdog). Returns the reports this scanner claimed.
   */
  scan(only = -1): WaitReport[] {
    const all = this.#table.read();
    const out: WaitReport[] = [];
    const seen = new Set<string>();
    const now = this.#table.now();
    for (const t of all) {
      if (t.waiting === WAIT_NONE || (only >= 0 && t.slot !== only) || t.reportedGen === t.gen) continue;
      const cycle = findCycle(all, t);
      if (cycle !== null) {
        const key = cycleKey(cycle);
        seen.add(key);
        if (!this.#seen.has(key) || cycle.some((m) => m.text === null)) continue;
        const first = canonicalCycle(cycle)[0] as WaitView;
        if (!this.#table.claim(first.slot, first.gen)) continue;
        for (const m of cycle) if (m !== first) this.#table.claim(m.slot, m.gen);
        out.push(report('deadlock', deadlockReport(cycle, this.#opts.release)));
        continue;
      }
      const limit = this.#opts.hungTaskTimeoutSecs;
      const secs = Math.floor((now - t.since) / 1000);
      if (limit <= 0 || now - t.since < limit * 1000 || t.text === null) continue;
      if (!this.#table.claim(t.slot, t.gen)) continue;
      out.push(report('hung_task', hungTaskReport(all, t, secs, this.#opts.release)));
    }
    this.#seen = seen;
    return out;
  }
}
