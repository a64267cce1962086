/*
 * The lockdep-trace rows of `torture bench`: generate a clean trace of N events over 1,000 classes
 * and 64 tasks (harness/lockdep/trace/trace_gen.ts) into a scratch file (bench_main.ts), then, in fresh child
 * processes, time `torture lockdep`'s work on it (read + parse + validate: checkTraceFileFast, what
 * the command does for one trace after Node has started, pipelined on two threads from 16 MiB up)
 * and the baseline on the same file (readFileSync + one JSON.parse per line, nothing else). Node's
 * own start-up and the CLI's imports are outside both figures (README.md says what they add). Runs alternate check / baseline so that load on the box hits
 * both alike; medians are reported, and the check's peak RSS (process maxRSS).
 *
 * A child that fails or prints no result line makes the row skipped with the reason, never a
 * number. No threshold is asserted here; goals.ts reports the issue's 1M events/s goal.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LockdepTraceCase } from '../../configs/bench/cases.js';
import { generateTrace } from '../lockdep/trace/trace_gen.js';
import { distPath } from '../lib/dist_entry.js';
import type { BenchRow } from './bench_types.js';

export interface LockdepTraceSettings {
  /** Check and baseline runs each (fresh processes). */
  readonly runs: number;
  /**
   * This case's scratch directory, under the bench's own results directory (bench_main.ts): made
   * here, removed when the case is done.
   */
  readonly scratchDir: string;
}

interface ChildResult {
  readonly ms: number;
  readonly events: number;
  readonly dependencies: number;
  readonly maxRssKb: number;
}

/* The compiled child (this module also runs from source under vitest). */
const CHILD = distPath('lockdepTraceChild');

function child(mode: 'check' | 'baseline', file: string): ChildResult {
  const out = execFileSync(process.execPath, [CHILD, mode, file], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /^lockdep-trace: (\{.*\})$/m.exec(out);
  if (m === null || m[1] === undefined) throw new Error(`no result line from the ${mode} process`);
  return JSON.parse(m[1]) as ChildResult;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function runLockdepTrace(c: LockdepTraceCase, s: LockdepTraceSettings): Promise<BenchRow> {
  const skip = (reason: string): BenchRow => ({ state: 'skipped', kind: 'lockdep_trace', name: c.name, what: c.what, reason });
  const dir = s.scratchDir;
  try {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${c.name}.jsonl`);
    writeFileSync(file, generateTrace({ events: c.events, classes: c.classes, tasks: c.tasks }));
    const check: ChildResult[] = [];
    const base: ChildResult[] = [];
    const runs = Math.max(1, s.runs);
    for (let i = 0; i < runs; i++) {
      check.push(child('check', file));
      base.push(child('baseline', file));
    }
    const checkMs = median(check.map((r) => r.ms));
    const readParseMs = median(base.map((r) => r.ms));
    const first = check[0];
    if (first === undefined) return skip('no run');
    await Promise.resolve();
    return {
      state: 'measured',
      kind: 'lockdep_trace',
      name: c.name,
      what: c.what,
      events: first.events,
      classes: c.classes,
      tasks: c.tasks,
      fileBytes: statSync(file).size,
      checkMs,
      eventsPerSec: first.events / (checkMs / 1000),
      readParseMs,
      ratioToReadParse: checkMs / readParseMs,
      peakRssMb: Math.max(...check.map((r) => r.maxRssKb)) / 1024,
      dependencies: first.dependencies,
      runsMs: check.map((r) => r.ms).sort((a, b) => a - b),
      notes: [],
    };
  } catch (e) {
    return skip(e instanceof Error ? e.message.split('\n')[0] ?? 'failed' : String(e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
