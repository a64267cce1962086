/*
 * `torture bench --compare OLD.json`: which rows got slower than an earlier run beyond the noise.
 * A latency row is slower when new p50 / old p50 > 1 + 3 * max(rme_old, rme_new) / 100; a
 * throughput row when old ops/s / new ops/s exceeds the same bound with the rounds' rme; an RCU
 * row when GP/s dropped by more than 10 %; a lockdep-trace row when events/s dropped by more than 20 %. Rows present in only one run are listed, not judged.
 * It reports; it never fails the command (exit 0).
 */

import { readFileSync } from 'node:fs';
import { TortureError } from '../errors.js';
import type { BenchReport, BenchRow } from './bench_types.js';

export function loadReport(file: string): BenchReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TortureError('USAGE', `Cannot compare with '${file}' as '--compare' must be a bench.json file: current value is unreadable (${e instanceof Error ? e.message : String(e)})`);
  }
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray((parsed as { rows?: unknown }).rows)) {
    throw new TortureError('USAGE', `Cannot compare with '${file}' as '--compare' must be a bench.json with a rows array: current value has none`);
  }
  return parsed as BenchReport;
}

function slowdown(oldR: BenchRow, newR: BenchRow): { ratio: number; bound: number; unit: string } | null {
  if (oldR.state !== 'measured' || newR.state !== 'measured' || oldR.kind !== newR.kind) return null;
  if (oldR.kind === 'latency' && newR.kind === 'latency') {
    return { ratio: newR.p50Ns / oldR.p50Ns, bound: 1 + (3 * Math.max(oldR.rme, newR.rme)) / 100, unit: `p50 ${oldR.p50Ns.toFixed(1)} -> ${newR.p50Ns.toFixed(1)} ns` };
  }
  if (oldR.kind === 'throughput' && newR.kind === 'throughput') {
    return { ratio: oldR.opsPerSec / newR.opsPerSec, bound: 1 + (3 * Math.max(oldR.rme, newR.rme)) / 100, unit: `${Math.round(oldR.opsPerSec)} -> ${Math.round(newR.opsPerSec)} ops/s` };
  }
  if (oldR.kind === 'lockdep_trace' && newR.kind === 'lockdep_trace') {
    return { ratio: oldR.eventsPerSec / newR.eventsPerSec, bound: 1.2, unit: `${Math.round(oldR.eventsPerSec)} -> ${Math.round(newR.eventsPerSec)} events/s` };
  }
  if (oldR.kind === 'linearizability' && newR.kind === 'linearizability') {
    return { ratio: newR.checkMs / oldR.checkMs, bound: 1.2, unit: `${oldR.checkMs.toFixed(0)} -> ${newR.checkMs.toFixed(0)} ms` };
  }
  if (oldR.kind === 'rcu_update' && newR.kind === 'rcu_update') {
    return { ratio: oldR.gpsPerSec / newR.gpsPerSec, bound: 1.1, unit: `${Math.round(oldR.gpsPerSec)} -> ${Math.round(newR.gpsPerSec)} GP/s` };
  }
  return null;
}

export function compareReports(oldRep: BenchReport, newRep: BenchReport): string[] {
  const out: string[] = [];
  const old = new Map(oldRep.rows.map((r) => [r.name, r]));
  let slower = 0;
  for (const r of newRep.rows) {
    const o = old.get(r.name);
    if (o === undefined) continue;
    const s = slowdown(o, r);
    if (s !== null && s.ratio > s.bound) {
      slower++;
      out.push(`  SLOWER ${r.name}: ${s.unit} (${s.ratio.toFixed(2)}x, noise bound ${s.bound.toFixed(2)}x)`);
    }
  }
  const onlyNew = newRep.rows.filter((r) => !old.has(r.name)).map((r) => r.name);
  const newNames = new Set(newRep.rows.map((r) => r.name));
  const onlyOld = oldRep.rows.filter((r) => !newNames.has(r.name)).map((r) => r.name);
  const head = `Compared with ${oldRep.startedAt} (${oldRep.host.cpuModel}, Node ${oldRep.host.nodeVersion}): ${slower === 0 ? 'nothing slower beyond the noise' : `${slower} row(s) slower beyond the noise`}`;
  out.unshift(head);
  if (onlyNew.length > 0) out.push(`  new rows: ${onlyNew.join(', ')}`);
  if (onlyOld.length > 0) out.push(`  not run now: ${onlyOld.length <= 5 ? onlyOld.join(', ') : `${onlyOld.length} rows of the old run`}`);
  return out;
}
