/*
 * The rcuscale-style update-side row: grace periods per second and synchronize_rcu() latency
 * with 8 CPUs. It boots a real guest (runGuest: a child process, 8 CPU worker threads, the same
 * boot path as `torture --torture rcu`) with harness/bench/rcu_scale_mod.js in place of the
 * torture module, rather than attaching 8 standalone CPUs: a grace period needs every CPU's tick,
 * idle and context-switch hooks and the GP kthread on CPU 0 running for the whole window, which
 * is exactly what a booted guest provides and a task-scoped attachCpu() does not (CPU 0's
 * scheduler would stop with its bench task).
 *
 * The guest prints one `rcu_scale: result {json}` line; anything else (no line, an Oops, a hang)
 * makes the row skipped with the reason, never a number.
 */

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RcuUpdateCase } from '../../configs/bench/cases.js';
import { distModuleUrl, runGuest } from '../guest/run_guest.js';
import type { BenchRow } from './bench_types.js';
import { RCU_SCALE_MODULES } from './rcu_scale_modules.js';

export interface RcuUpdateSettings {
  readonly timeMs: number;
  /**
   * This case's scratch directory, under the bench's own results directory (bench_main.ts): made
   * here, removed when the case is done.
   */
  readonly scratchDir: string;
}

interface ScaleResult {
  flavor: string;
  nrCpus: number;
  gps: number;
  seconds: number;
  gpsPerSec: number;
  calls: number;
  p50Ns: number;
  p99Ns: number;
}

function parseResult(console: string): ScaleResult | null {
  const m = /rcu_scale: result (\{.*\})/.exec(console);
  if (m === null || m[1] === undefined) return null;
  try {
    return JSON.parse(m[1]) as ScaleResult;
  } catch {
    return null;
  }
}

export async function runRcuUpdate(c: RcuUpdateCase, s: RcuUpdateSettings): Promise<BenchRow> {
  // The window scales with --time, but a grace period costs about a jiffy's worth of work on 8
  // CPUs sharing 2 cores: under 200 ms there are too few to count.
  const measureMs = Math.max(200, 2 * s.timeMs);
  const warmupMs = Math.min(200, Math.max(50, s.timeMs));
  const skip = (reason: string): BenchRow => ({ state: 'skipped', kind: 'rcu_update', name: c.name, what: c.what, reason });
  let run;
  // The guest's directory is scratch (only its console is read): removed once read.
  const resdir = path.join(s.scratchDir, 'guest');
  try {
    mkdirSync(resdir, { recursive: true });
    run = await runGuest({
      resdir,
      suite: 'rcu',
      scenario: 'BENCH-RCU-SCALE',
      nrCpus: c.nrCpus,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: String(c.nrCpus) },
      bootParams: { 'rcu_scale.warmup_ms': String(warmupMs), 'rcu_scale.measure_ms': String(measureMs) },
      durationSec: Math.ceil((warmupMs + measureMs) / 1000) + 5,
      shutdownGraceSec: 5,
      modules: RCU_SCALE_MODULES.map((m) => distModuleUrl(m)),
    });
  } catch (e) {
    return skip(`guest did not start: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    rmSync(s.scratchDir, { recursive: true, force: true });
  }
  const r = parseResult(run.console);
  if (r === null) {
    const problem = run.result?.problems[0] ?? (run.killed ? 'killed after its time budget' : `exit ${String(run.code)}`);
    const oops = run.console.split('\n').find((l) => /Oops|BUG:|Error/.test(l));
    return skip(`no rcu_scale result from the guest (${problem}${oops !== undefined ? `; ${oops.trim().slice(0, 160)}` : ''})`);
  }
  if (r.gps <= 0 || r.calls <= 0) return skip(`no grace period completed in the ${measureMs} ms window (gps ${r.gps}, calls ${r.calls})`);
  return {
    state: 'measured',
    kind: 'rcu_update',
    name: c.name,
    what: `${c.what} (${r.flavor})`,
    nrCpus: r.nrCpus,
    gpsPerSec: r.gpsPerSec,
    gpSource: `rcu_gp_count() on CPU 0: ${r.gps} GPs in ${r.seconds.toFixed(3)} s`,
    syncP50Us: r.p50Ns / 1000,
    syncP99Us: r.p99Ns / 1000,
    syncCalls: r.calls,
    seconds: r.seconds,
    notes: run.code === 0 ? [] : [`guest exit ${String(run.code)}: ${(run.result?.problems ?? []).join('; ')}`],
  };
}
