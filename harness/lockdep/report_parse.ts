/*
 * Read lockdep's circular-dependency reports back out of console text (a guest's console.log or
 * `torture lockdep` output): the task, the lock it was acquiring, the lock it held, and the
 * existing chain `-> #N (class)` with each entry's stack. The cycle is the chain closed by the new
 * dependency: #0 is the lock being acquired; entry #k was taken while #(k-1) was held, and the
 * new dependency is held (#top) -> acquiring (#0).
 *
 * Pure: text in, data out; the stamp and the banner are the console grammar's
 * (harness/formats/console_lines.ts). Used by the guest to record the reported cycle in lockdep_graph.json,
 * by the nightly battery to judge expected reports, and by the HTML report.
 */

import { isReportBanner, stripStamp } from '../formats/console_lines.js';

export interface CircularChainEntry {
  readonly index: number;
  readonly cls: string;
  readonly stack: readonly string[];
}

export interface CircularReport {
  readonly title: string;
  readonly task: string;
  readonly acquiring: string;
  readonly held: string;
  /** `-> #N` entries, #0 first. */
  readonly chain: readonly CircularChainEntry[];
  /** Classes around the cycle, #0 first (its edges: cycleEdges()). */
  readonly cycle: readonly string[];
}

export const CIRCULAR_TITLE = 'WARNING: possible circular locking dependency detected';

const CLASS_IN_LINE = /\((.+?)\)\{[^}]*\}/;

/** Dependency edges of a reported cycle as [from, to] class pairs (from held to acquired). */
export function cycleEdges(cycle: readonly string[]): [string, string][] {
  const n = cycle.length;
  if (n < 2) return n === 1 ? [[cycle[0] ?? '', cycle[0] ?? '']] : [];
  const out: [string, string][] = [];
  for (let k = 1; k < n; k++) out.push([cycle[k - 1] ?? '', cycle[k] ?? '']);
  out.push([cycle[n - 1] ?? '', cycle[0] ?? '']);
  return out;
}

/** Every circular report in the text, in order. */
export function parseCircularReports(text: string): CircularReport[] {
  const lines = text.split('\n').map((l) => stripStamp(l).replace(/\s+$/, ''));
  const out: CircularReport[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== CIRCULAR_TITLE) continue;
    let task = '';
    let acquiring = '';
    let held = '';
    const chain: CircularChainEntry[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l === 'other info that might help us debug this:' || l.startsWith('stack backtrace:') || isReportBanner(l)) break;
      const t = /^(\S+) is trying to acquire lock:$/.exec(l);
      if (t !== null) {
        task = t[1] ?? '';
        acquiring = CLASS_IN_LINE.exec(lines[j + 1] ?? '')?.[1] ?? '';
        continue;
      }
      if (l === 'but task is already holding lock:') {
        held = CLASS_IN_LINE.exec(lines[j + 1] ?? '')?.[1] ?? '';
        continue;
      }
      const e = /^-> #([0-9]+) \((.+?)\)\{[^}]*\}/.exec(l);
      if (e !== null) {
        const stack: string[] = [];
        let k = j + 1;
        for (; k < lines.length && (lines[k] ?? '').trim() !== ''; k++) stack.push((lines[k] ?? '').trim());
        chain.push({ index: Number(e[1]), cls: e[2] ?? '', stack });
        j = k;
      }
    }
    chain.sort((a, b) => a.index - b.index);
    out.push({ title: CIRCULAR_TITLE, task, acquiring, held, chain, cycle: chain.map((c) => c.cls) });
    i = j;
  }
  return out;
}
