/*
 * lockdep_graph.json: the dependency graph a guest's validator built (its read API,
 * graph_view.ts: classes, every dependency with its kinds and first stack) plus the cycles its
 * circular reports named (read back from the console by report_parse.ts), for the HTML report's
 * lock-graph picture. Written by the guest at shutdown, beside lockdep_stats.
 */

import type { LockdepGraphView } from './graph_view.js';
import { cycleEdges, parseCircularReports } from './report_parse.js';

export interface LockdepGraphJson {
  readonly version: 1;
  readonly classes: LockdepGraphView['classes'];
  readonly edges: LockdepGraphView['edges'];
  readonly cycles: readonly {
    readonly title: string;
    readonly task: string;
    /** The cycle's classes, the report's `-> #0` first. */
    readonly classes: readonly string[];
    /** [held, acquired] pairs around the cycle (report_parse.ts cycleEdges()). */
    readonly edges: readonly (readonly [string, string])[];
    /** Each `-> #N` entry's stack as the report printed it (#0 first: the new acquisition). */
    readonly stacks: readonly (readonly string[])[];
  }[];
}

/** The graph and the cycles reported in `consoleText`. */
export function lockdepGraphJson(view: LockdepGraphView, consoleText: string): LockdepGraphJson {
  const cycles = parseCircularReports(consoleText).map((r) => ({ title: r.title, task: r.task, classes: r.cycle, edges: cycleEdges(r.cycle), stacks: r.chain.map((c) => c.stack) }));
  return { version: 1, classes: view.classes, edges: view.edges, cycles };
}
