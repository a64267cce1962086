/*
 * The linearizability checker's row of `torture bench`: a real history of the correct queue
 * (configs/object/examples/locked_queue.mjs) recorded by objecttorture in a guest (4 CPUs, 8
 * stress tasks, 10,000 calls, objecttorture.dump_history=1 writes them to object_calls.json), then
 * checked here by checkLinearizable(), what objecttorture runs at the end of a test. The baseline,
 * measured in the same run on the same history, is a replay: the specification stepped once per
 * call in response order, the least any checker must do (it proves nothing about overlapping
 * calls). Medians of the runs; no threshold is asserted here (goals.ts reports the issue's
 * "10,000 operations in at most 1 s").
 */

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LinearizabilityCase } from '../../configs/bench/cases.js';
import { SCENARIO_FILE } from '../formats/results_files.js';
import { runGuest } from '../guest/run_guest.js';
import { checkLinearizable } from '../linearizability/check.js';
import type { HistoryOp } from '../linearizability/history.js';
import { boundedQueueSpec } from '../linearizability/queue_spec.js';
import type { BenchRow } from './bench_types.js';

export interface LinearizabilitySettings {
  /**
   * This case's scratch directory, under the bench's own results directory (bench_main.ts): made
   * here, removed when the case is done.
   */
  readonly scratchDir: string;
  /** Check and replay runs each. */
  readonly runs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Record the history in a guest; null with the reason when it could not. */
async function recordHistory(c: LinearizabilityCase, scratchDir: string): Promise<HistoryOp[] | string> {
  const resdir = path.join(scratchDir, 'guest');
  try {
    mkdirSync(resdir, { recursive: true });
    const run = await runGuest({
      resdir,
      suite: 'object',
      scenario: 'BENCH-LINEARIZABILITY',
      nrCpus: 4,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'y' },
      bootParams: {
        'objecttorture.torture_type': 'locked_queue',
        'objecttorture.nops': String(c.ops),
        'objecttorture.nthreads': String(c.threads),
        'objecttorture.dump_history': '1',
        'objecttorture.stat_interval': '0',
      },
      durationSec: 4,
      shutdownGraceSec: 10,
    });
    const file = path.join(resdir, SCENARIO_FILE.objectCalls);
    if (!existsSync(file)) return `the guest wrote no ${SCENARIO_FILE.objectCalls} (exit ${String(run.code)}${run.killed ? ', killed' : ''})`;
    return JSON.parse(readFileSync(file, 'utf8')) as HistoryOp[];
  } catch (e) {
    return `guest did not start: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

export async function runLinearizability(c: LinearizabilityCase, s: LinearizabilitySettings): Promise<BenchRow> {
  const skip = (reason: string): BenchRow => ({ state: 'skipped', kind: 'linearizability', name: c.name, what: c.what, reason });
  const recorded = await recordHistory(c, s.scratchDir);
  if (typeof recorded === 'string') return skip(recorded);
  // JSON has no undefined: an enqueue's missing result, a dequeue's missing argument.
  const history = recorded.map((o) => ({ ...o, arg: o.arg ?? undefined, result: o.result ?? (o.op === 'dequeue' ? null : undefined) }));
  const threads = new Set(history.map((o) => o.thread)).size;
  const spec = boundedQueueSpec();
  const byReturn = [...history].sort((a, b) => (a.ret ?? Infinity) - (b.ret ?? Infinity));
  const check: number[] = [];
  const replay: number[] = [];
  for (let i = 0; i < Math.max(1, s.runs); i++) {
    let t = performance.now();
    const r = checkLinearizable(history, spec);
    check.push(performance.now() - t);
    if (r.kind !== 'ok') return skip(`the recorded history was judged ${r.kind}`);
    t = performance.now();
    let state = spec.initial;
    for (const o of byReturn) state = spec.step(state, o.op, o.arg)[1];
    replay.push(performance.now() - t);
  }
  const checkMs = median(check);
  const replayMs = median(replay);
  return {
    state: 'measured',
    kind: 'linearizability',
    name: c.name,
    what: c.what,
    ops: history.length,
    threads,
    checkMs,
    opsPerSec: history.length / (checkMs / 1000),
    replayMs,
    ratioToReplay: checkMs / Math.max(replayMs, 1e-3),
    runsMs: [...check].sort((a, b) => a - b),
    notes: [],
  };
}
