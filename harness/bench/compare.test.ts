import { describe, expect, it } from 'vitest';
import type { BenchReport, BenchRow } from './bench_types.js';
import { compareReports } from './compare.js';

function lat(name: string, p50Ns: number, rme: number): BenchRow {
  return { state: 'measured', kind: 'latency', name, what: '', lockdep: false, p50Ns, p99Ns: p50Ns, meanNs: p50Ns, rme, samples: 100, opsPerSample: 10_000, processP50Ns: [p50Ns], ratioToFloor: null, notes: [] };
}

function report(rows: BenchRow[]): BenchReport {
  return {
    version: 1,
    startedAt: '2026-11-25T00:00:00.000Z',
    host: { cpuModel: 'cpu', cores: 2, nodeVersion: 'v20.20.2', platform: 'Linux', arch: 'x64', v8: '11', timerResolutionNs: 50, tinybench: '6.2.4', loadAvg1: 0 },
    settings: { timeMs: 1, warmupMs: 1, inner: 10_000, maxThreads: 4, rounds: 3, processes: 1, filter: null, ops: null },
    rows,
    goals: [],
  };
}

describe('compareReports()', () => {
  it('flags a row only when its p50 grew beyond 1 + 3 x rme', () => {
    const old = report([lat('a', 10, 1), lat('b', 10, 1), lat('c', 10, 1)]);
    const now = report([lat('a', 10.2, 1), lat('b', 14, 1), { state: 'skipped', kind: 'latency', name: 'c', what: '', reason: 'x' }]);
    const out = compareReports(old, now).join('\n');
    expect(out).toContain('1 row(s) slower beyond the noise');
    expect(out).toMatch(/SLOWER b: p50 10\.0 -> 14\.0 ns \(1\.40x, noise bound 1\.03x\)/);
    expect(out).not.toContain('SLOWER a');
    expect(out).not.toContain('SLOWER c');
  });
});
