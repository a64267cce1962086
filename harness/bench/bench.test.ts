import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runBench } from './bench_main.js';
import type { BenchReport } from './bench_types.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// Smoke test: a tiny time budget on a filter, then the JSON's shape. No assertion on any speed.
describe('runBench()', () => {
  // The bench prints its table and progress; keep the test output readable.
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes bench.json with the host, every selected row (measured or skipped) and the goals', async () => {
    const dir = makeTestTempDir('bench');
    const ops = path.join(dir, 'user_ops.mjs');
    writeFileSync(
      ops,
      [
        'let ia = null;',
        'export default {',
        "  name: 'smoke_spin', sharedBytes: 4,",
        '  init(shared) { ia = shared; },',
        '  writeLock() { while (Atomics.compareExchange(ia, 0, 0, 1) !== 0); },',
        '  writeUnlock() { Atomics.store(ia, 0, 0); },',
        '};',
      ].join('\n'),
    );
    const json = path.join(dir, 'bench.json');
    const filter = 'baseline.counter,baseline.spin_wait,mutex.trylock_unlock.uncontended,mutex.await_lock_unlock.contended_2t,user.write_lock_unlock.uncontended,user.write_lock_unlock.contended_2t,rcu.read_lock_unlock.uncontended,rcu.synchronize_rcu,lockdep-trace.10k,linearizability.queue';
    // The cases' scratch (guests' directories, the generated trace) goes under the run's results
    // directory, not the OS temporary one: with TMPDIR missing, every row still runs.
    const tmp = process.env['TMPDIR'];
    process.env['TMPDIR'] = path.join(dir, 'no-such-tmp');
    let code: number;
    try {
      expect(os.tmpdir()).toBe(path.join(dir, 'no-such-tmp'));
      code = await runBench({ filter, time: 20, json, ops, processes: 1 });
    } finally {
      if (tmp === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = tmp;
    }
    expect(code).toBe(0);
    // ... and is removed: the directory holds what the test and the bench wrote, nothing else.
    expect(readdirSync(dir).sort()).toEqual(['bench.json', 'user_ops.mjs']);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
    expect(rep.version).toBe(1);
    expect(typeof rep.host.cpuModel).toBe('string');
    expect(rep.host.cores).toBeGreaterThan(0);
    expect(rep.host.nodeVersion).toMatch(/^v\d+/);
    expect(typeof rep.host.platform).toBe('string');
    expect(rep.settings.timeMs).toBe(20);
    const names = rep.rows.map((r) => r.name);
    // The CAS floor is added to any run with uncontended rows (ratios need it).
    expect(names).toContain('baseline.cas_store.uncontended');
    expect(names).toEqual(
      expect.arrayContaining([
        'baseline.counter_inc.uncontended',
        'baseline.spin_wait.uncontended',
        'baseline.spin_wait.contended_2t',
        'mutex.trylock_unlock.uncontended',
        'mutex.await_lock_unlock.contended_2t',
        'user.write_lock_unlock.uncontended',
        'user.write_lock_unlock.contended_2t',
        'rcu.read_lock_unlock.uncontended',
        'rcu.synchronize_rcu.8cpus',
        'lockdep-trace.10k',
        'linearizability.queue.10k_8t',
      ]),
    );
    expect(rep.rows.find((r) => r.name === 'lockdep-trace.10k')?.state).toBe('measured');
    // A guest row may be skipped on a loaded host, but not for want of a directory.
    for (const r of rep.rows) if (r.state === 'skipped') expect(r.reason, r.name).not.toMatch(/ENOENT|EACCES|no-such-tmp/);
    for (const r of rep.rows) {
      expect(['measured', 'skipped']).toContain(r.state);
      if (r.state === 'skipped') {
        expect(r.reason.length).toBeGreaterThan(0);
        continue;
      }
      if (r.kind === 'latency') {
        for (const v of [r.p50Ns, r.p99Ns, r.meanNs, r.rme]) expect(typeof v).toBe('number');
        expect(r.samples).toBeGreaterThan(0);
        expect(r.ratioToFloor).not.toBeNull();
      } else if (r.kind === 'throughput') {
        expect(r.perThread).toHaveLength(r.threads);
        expect(r.rounds.length).toBeGreaterThan(0);
        expect(r.exclusion).toBe('ok');
      } else if (r.kind === 'lockdep_trace') {
        expect(r.events).toBe(10_000);
        expect(r.dependencies).toBeGreaterThan(0);
        for (const v of [r.checkMs, r.readParseMs, r.eventsPerSec, r.peakRssMb]) expect(v).toBeGreaterThan(0);
      } else if (r.kind === 'linearizability') {
        expect([r.ops, r.threads]).toEqual([10_000, 8]);
        for (const v of [r.checkMs, r.replayMs, r.opsPerSec]) expect(v).toBeGreaterThan(0);
      } else {
        expect(r.nrCpus).toBe(8);
        for (const v of [r.gpsPerSec, r.syncP50Us, r.syncP99Us, r.syncCalls]) expect(typeof v).toBe('number');
      }
    }
    for (const name of ['user.write_lock_unlock.uncontended', 'user.write_lock_unlock.contended_2t']) {
      expect(rep.rows.find((r) => r.name === name)?.state).toBe('measured');
    }
    expect(rep.goals).toHaveLength(11);
    for (const g of rep.goals) expect(['MET', 'MISSED', 'UNMEASURED']).toContain(g.status);
  });

  it('rejects a bad --time, --runs and --ops module with a TortureError before running anything', async () => {
    await expect(runBench({ time: 0 })).rejects.toThrow(/Cannot run the bench as '--time' must be/);
    await expect(runBench({ processes: 16 })).rejects.toThrow(/Cannot run the bench as '--runs' must be an integer from 1 to 15: current value is 16/);
    const dir = makeTestTempDir('bench');
    const ops = path.join(dir, 'bad_ops.mjs');
    writeFileSync(ops, 'export default { name: "Bad Name" };\n');
    await expect(runBench({ ops, filter: 'user.' })).rejects.toThrow(/Cannot use lock ops module .* as 'name' must be/);
  });
});
