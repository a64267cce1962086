/*
 * The text report of a bench run: the uncontended table (ns/op, p50, p99, rme, samples, ratio to
 * the CAS floor), the contended table (ops/s, fairness, exclusion check), the RCU update-side
 * figures, the lockdep-trace table, and the goals. Skipped rows print as "skipped: <reason>" in their table.
 */

import type { BenchReport, BenchRow, GoalResult } from './bench_types.js';
import { fmtRate } from './goals.js';

function ns(v: number): string {
  return v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
}

function table(head: readonly string[], rows: readonly (readonly string[])[], rightFrom: number): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.length > 2 || i === 0 ? (r[i] ?? '').length : 0))));
  const line = (r: readonly string[]): string => {
    if (r.length === 2) return `${(r[0] ?? '').padEnd(w[0] ?? 0)}  ${r[1] ?? ''}`;
    return r.map((c, i) => (i >= rightFrom ? c.padStart(w[i] ?? 0) : c.padEnd(w[i] ?? 0))).join('  ').trimEnd();
  };
  return [line(head), w.map((n) => '-'.repeat(n)).join('  ').trimEnd(), ...rows.map(line)];
}

function skippedCell(r: BenchRow): readonly string[] | null {
  return r.state === 'skipped' ? [r.name, `skipped: ${r.reason}`] : null;
}

export function formatReport(rep: BenchReport): string {
  const out: string[] = [];
  const h = rep.host;
  out.push(`torture bench: ${h.cpuModel}, ${h.cores} cores, Node ${h.nodeVersion} (V8 ${h.v8}), ${h.platform} ${h.arch}, tinybench ${h.tinybench}`);
  out.push(
    `load average ${h.loadAvg1} at start; timer resolution ${h.timerResolutionNs} ns; ${rep.settings.inner} ops/sample; time ${rep.settings.timeMs} ms/row (warmup ${rep.settings.warmupMs} ms), median of ${rep.settings.processes} worker runs; contended ${rep.settings.rounds} x ${rep.settings.timeMs} ms rounds after a warm-up round`,
  );
  const lat = rep.rows.filter((r) => r.kind === 'latency');
  if (lat.length > 0) {
    out.push('', 'Uncontended, one thread (ns/op)');
    const body = lat.map(
      (r) =>
        skippedCell(r) ??
        (r.state === 'measured' && r.kind === 'latency'
          ? [
              r.name,
              ns(r.p50Ns),
              ns(r.p99Ns),
              r.rme.toFixed(2),
              String(r.samples),
              r.ratioToFloor === null ? '-' : `${r.ratioToFloor.toFixed(2)}x`,
              r.processP50Ns.length > 1 ? `${ns(Math.min(...r.processP50Ns))}-${ns(Math.max(...r.processP50Ns))}` : '',
              r.notes.length > 0 ? `${r.notes.length} note(s)` : '',
            ]
          : [r.name, '?']),
    );
    out.push(...table(['case', 'p50', 'p99', 'rme %', 'samples', 'x floor', 'p50 of runs', ''], body, 1));
  }
  const thr = rep.rows.filter((r) => r.kind === 'throughput');
  if (thr.length > 0) {
    out.push('', 'Contended, T threads on one lock');
    const body = thr.map(
      (r) =>
        skippedCell(r) ??
        (r.state === 'measured' && r.kind === 'throughput'
          ? [r.name, String(r.threads), fmtRate(r.opsPerSec), r.rme.toFixed(1), Number.isFinite(r.fairness) ? r.fairness.toFixed(2) : 'starved', r.exclusion, r.perThread.map((n) => fmtRate(n)).join('/')]
          : [r.name, '?']),
    );
    out.push(...table(['case', 'T', 'ops/s', 'rme %', 'max/min', 'excl', 'ops per thread'], body, 1));
  }
  const rcu = rep.rows.filter((r) => r.kind === 'rcu_update');
  if (rcu.length > 0) {
    out.push('', 'RCU update side (rcuscale-style)');
    const body = rcu.map(
      (r) =>
        skippedCell(r) ??
        (r.state === 'measured' && r.kind === 'rcu_update'
          ? [r.name, String(r.nrCpus), fmtRate(r.gpsPerSec), r.syncP50Us.toFixed(0), r.syncP99Us.toFixed(0), String(r.syncCalls), r.gpSource]
          : [r.name, '?']),
    );
    out.push(...table(['case', 'CPUs', 'GP/s', 'sync p50 us', 'p99 us', 'calls', 'GP count from'], body, 1));
  }
  const ldt = rep.rows.filter((r) => r.kind === 'lockdep_trace');
  if (ldt.length > 0) {
    out.push('', 'torture lockdep on generated traces (read + parse + validate, vs readFileSync + JSON.parse per line of the same file)');
    const body = ldt.map(
      (r) =>
        skippedCell(r) ??
        (r.state === 'measured' && r.kind === 'lockdep_trace'
          ? [
              r.name,
              fmtRate(r.events),
              `${r.classes}/${r.tasks}`,
              fmtRate(r.dependencies),
              r.checkMs.toFixed(0),
              fmtRate(r.eventsPerSec),
              r.readParseMs.toFixed(0),
              `${r.ratioToReadParse.toFixed(2)}x`,
              r.peakRssMb.toFixed(0),
              r.runsMs.map((m) => m.toFixed(0)).join('/'),
            ]
          : [r.name, '?']),
    );
    out.push(...table(['case', 'events', 'classes/tasks', 'deps', 'check ms', 'events/s', 'read+JSON.parse ms', 'x baseline', 'peak MB', 'runs ms'], body, 1));
  }
  const lin = rep.rows.filter((r) => r.kind === 'linearizability');
  if (lin.length > 0) {
    out.push('', "objecttorture's linearizability check of a recorded history of the correct queue (vs stepping the spec once per call)");
    const body = lin.map(
      (r) =>
        skippedCell(r) ??
        (r.state === 'measured' && r.kind === 'linearizability'
          ? [r.name, fmtRate(r.ops), String(r.threads), r.checkMs.toFixed(0), fmtRate(r.opsPerSec), r.replayMs.toFixed(2), `${r.ratioToReplay.toFixed(0)}x`, r.runsMs.map((m) => m.toFixed(0)).join('/')]
          : [r.name, '?']),
    );
    out.push(...table(['case', 'calls', 'threads', 'check ms', 'calls/s', 'replay ms', 'x baseline', 'runs ms'], body, 1));
  }
  const noted = rep.rows.filter((r) => r.state === 'measured' && r.notes.length > 0);
  if (noted.length > 0) {
    out.push('', 'Notes (console output while measuring)');
    for (const r of noted) if (r.state === 'measured') for (const n of r.notes.slice(0, 5)) out.push(`  ${r.name}: ${n}`);
  }
  if (rep.goals.length > 0) out.push('', 'Goals', ...formatGoals(rep.goals));
  return out.join('\n');
}

export function formatGoals(goals: readonly GoalResult[]): string[] {
  const w = Math.max(...goals.map((g) => g.goal.length));
  return goals.map((g) => `  ${g.status.padEnd(10)} ${g.goal.padEnd(w)}  ${g.figure}${g.detail ? `  [${g.detail}]` : ''}`);
}
