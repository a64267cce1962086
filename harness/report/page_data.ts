/*
 * The data block embedded in index.html for the page script (harness/report/page/report_page.ts):
 * only what the charts and the graph picture draw, already reduced (rates, last histograms, DOT).
 */

import type { OnoffPoint, LockPoint } from './console_series.js';
import { rates } from './console_series.js';
import type { ReportModel } from './collect.js';
import { lockGraphDot, type LockGraphPicture } from './lock_graph_dot.js';

export interface PageScenario {
  readonly index: number;
  readonly name: string;
  readonly gpRate: readonly (readonly [number, number])[];
  readonly readerPipe: readonly number[] | null;
  readonly readerBatch: readonly number[] | null;
  readonly hotplug: readonly OnoffPoint[];
  readonly writes: readonly LockPoint[];
  readonly writeRate: readonly (readonly [number, number])[];
  readonly readRate: readonly (readonly [number, number])[];
  readonly tasks: { readonly writers: readonly number[]; readonly readers: readonly number[] } | null;
  readonly lockGraph: LockGraphPicture | null;
}

export interface PageBench {
  readonly index: number;
  readonly rows: readonly { readonly name: string; readonly ratio: number }[];
}

export interface PageData {
  readonly scenarios: readonly PageScenario[];
  readonly bench: readonly PageBench[];
}

export function pageData(m: ReportModel): PageData {
  return {
    scenarios: m.scenarios.map((s, index) => ({
      index,
      name: s.name,
      gpRate: rates(s.series.ver),
      readerPipe: s.series.readerPipe,
      readerBatch: s.series.readerBatch,
      hotplug: s.series.onoff,
      writes: s.series.writes,
      writeRate: rates(s.series.writes.map((p) => [p.t, p.total] as const)),
      readRate: rates(s.series.reads.map((p) => [p.t, p.total] as const)),
      tasks: s.tasks,
      lockGraph: s.graph !== null && (s.graph.edges.length > 0 || s.graph.cycles.length > 0) ? lockGraphDot(s.graph) : null,
    })),
    bench: m.bench.map((b, index) => ({
      index,
      rows: b.report.rows.flatMap((r) => (r.state === 'measured' && r.kind === 'latency' && r.ratioToFloor !== null ? [{ name: r.name, ratio: Math.round(r.ratioToFloor * 100) / 100 }] : [])),
    })),
  };
}
