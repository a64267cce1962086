/*
 * `torture again DIR [--duration D] [--datestamp NAME] [--results ROOT]`, kvm-again.sh of this
 * project: rerun a results directory's scenarios with the same merged configs, boot parameters
 * (the seed, torture.random_seed, is one of them) and batches. Everything comes from DIR's own
 * files — each scenario's `scenario.json` (the frozen Scenario: merged Kconfig, boot line, CPUs)
 * and guest-spec.json, the `batches` plan and its `# cpus=N` — never from configs/, which may
 * have changed since. --duration replaces each scenario's shutdown_secs; everything else,
 * stat_interval included, stays as it was. The new run's directory gets `re-run` naming DIR, as
 * kvm-again.sh writes it, and the default results root is DIR's parent.
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { withBootParam, type Scenario } from '../config/scenario.js';
import { tortureModule } from '../config/suite_defaults.js';
import { TortureError } from '../errors.js';
import type { GuestSpec } from '../guest/guest_spec.js';
import { isTortureSuite, type TortureSuite } from '../suites/index.js';
import type { Batch } from './batches.js';
import { SEED_PARAM, type RunPlan } from './plan.js';

export interface AgainOptions {
  readonly dir: string;
  readonly durationSec?: number;
  readonly shutdownGraceSec?: number;
  readonly resultsRoot?: string;
  readonly datestamp: string;
  readonly commandLine: string;
  readonly quiet?: boolean;
}

function bad(dir: string, what: string, why: string): TortureError {
  return new TortureError('RESULTS_DIR', `Cannot run again as '${path.join(dir, what)}' must ${why}: current value is ${existsSync(path.join(dir, what)) ? 'unreadable or malformed' : 'missing'}`);
}

function readJson<T>(dir: string, file: string, why: string): T {
  try {
    return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as T;
  } catch {
    throw bad(dir, file, why);
  }
}

/** `batches` back into Batch[]: `# cpus=N`, then `batchno name cpus` lines (batches.ts). */
export function parseBatchesFile(text: string): { ncpus: number; batches: Batch[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = /^# cpus=(\d+)$/.exec(lines[0] ?? '');
  if (head === null) throw new Error('no # cpus= line');
  const ncpus = Number(head[1]);
  const byIndex = new Map<number, { name: string; baseName: string; cpus: number; ovf: boolean }[]>();
  for (const l of lines.slice(1)) {
    const m = /^(\d+) (\S+) (\d+)$/.exec(l);
    if (m === null) throw new Error(`bad line ${l}`);
    const name = m[2] ?? '';
    const cpus = Number(m[3]);
    const runs = byIndex.get(Number(m[1])) ?? [];
    runs.push({ name, baseName: name.replace(/\.\d+$/, ''), cpus, ovf: ncpus > 0 && cpus > ncpus });
    byIndex.set(Number(m[1]), runs);
  }
  const batches = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([index, runs]) => ({ index, runs }));
  return { ncpus, batches };
}

/** The seed of a results directory (its log's `Random seed: N`), or null. */
export function seedOfResults(dir: string): number | null {
  try {
    const m = /^Random seed: (\d+)/m.exec(readFileSync(path.join(dir, 'log'), 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** A RunPlan that repeats DIR (throws TortureError for a directory it cannot repeat). */
export function againPlan(o: AgainOptions): RunPlan {
  const dir = path.resolve(o.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TortureError('RESULTS_DIR', `Cannot run again as 'DIR' must be a results directory of torture: current value is ${o.dir}`);
  }
  let parsed: { ncpus: number; batches: Batch[] };
  try {
    parsed = parseBatchesFile(readFileSync(path.join(dir, 'batches'), 'utf8'));
  } catch {
    throw bad(dir, 'batches', 'be the plan a run wrote (# cpus=N, then "batch name cpus" lines)');
  }
  const seed = seedOfResults(dir);
  if (seed === null) throw bad(dir, 'log', "have a 'Random seed: N' line (results of a torture with --seed support)");
  const scenarios = new Map<string, Scenario>();
  let suite: TortureSuite | null = null;
  let grace: number | null = null;
  let memoryMb: number | undefined;
  let opsModule: string | undefined;
  let durationSec = 0;
  for (const b of parsed.batches) {
    for (const r of b.runs) {
      const sdir = path.join(dir, r.name);
      let s = readJson<Scenario>(sdir, 'scenario.json', 'be the scenario a run wrote');
      const spec = readJson<GuestSpec>(sdir, 'guest-spec.json', 'be the guest spec a run wrote');
      if (!isTortureSuite(s.suite) || typeof s.bootLine !== 'string' || !Array.isArray(s.bootWords)) {
        throw bad(sdir, 'scenario.json', 'be the scenario a run wrote');
      }
      suite ??= s.suite;
      grace ??= spec.shutdownGraceSec;
      memoryMb ??= spec.memoryMb;
      opsModule ??= spec.opsModule;
      if (o.durationSec !== undefined) s = withBootParam(s, `${tortureModule(s.suite)}.shutdown_secs`, String(o.durationSec), o.durationSec);
      durationSec = Math.max(durationSec, s.durationSec);
      if (s.bootParams[SEED_PARAM] === undefined) throw bad(sdir, 'scenario.json', `have ${SEED_PARAM} on its boot line`);
      scenarios.set(r.name, s);
    }
  }
  if (suite === null) throw bad(dir, 'batches', 'name at least one scenario');
  const resultsRoot = path.resolve(o.resultsRoot ?? path.dirname(dir));
  return {
    suite,
    durationSec,
    shutdownGraceSec: o.shutdownGraceSec ?? grace ?? 15,
    ncpus: parsed.ncpus,
    configs: [...scenarios.keys()],
    bootargs: [],
    kconfig: [],
    resultsRoot,
    datestamp: o.datestamp,
    commandLine: o.commandLine,
    configsRoot: '',
    seed,
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(opsModule !== undefined ? { opsModule } : {}),
    againOf: dir,
    resdir: path.join(resultsRoot, o.datestamp),
    scenarios,
    batches: parsed.batches,
  };
}
