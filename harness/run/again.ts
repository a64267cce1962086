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

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { withBootParam, type Scenario } from '../config/scenario.js';
import { tortureModule } from '../config/suite_defaults.js';
import { TortureError } from '../errors.js';
import { BATCHES_FILE, parseBatchesFile, type BatchesFile } from '../formats/batches_file.js';
import { RUN_FILE, SCENARIO_FILE, logSeed, notResultsDir, readText } from '../formats/results_files.js';
import type { TortureSuite } from '../suites/index.js';
import { checkGuestSpecJson, checkScenarioJson } from './again_check.js';
import { SEED_PARAM, type RunPlan } from './plan.js';

export interface AgainOptions {
  readonly dir: string;
  readonly durationSec?: number;
  readonly shutdownGraceSec?: number;
  readonly resultsRoot?: string;
  readonly datestamp: string;
  /** No --datestamp was given: a default already taken gets a `.N` suffix. */
  readonly uniqueDatestamp?: boolean;
  readonly commandLine: string;
  readonly quiet?: boolean;
}

function bad(dir: string, what: string, why: string): TortureError {
  return new TortureError('RESULTS_DIR', `Cannot run again as '${path.join(dir, what)}' must ${why}: current value is ${existsSync(path.join(dir, what)) ? 'unreadable or malformed' : 'missing'}`);
}

function readJson(dir: string, file: string, why: string): unknown {
  try {
    return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown;
  } catch {
    throw bad(dir, file, why);
  }
}

/** A RunPlan that repeats DIR (throws TortureError for a directory it cannot repeat). */
export function againPlan(o: AgainOptions): RunPlan {
  const dir = path.resolve(o.dir);
  const why = notResultsDir(dir);
  if (why !== null) throw new TortureError('RESULTS_DIR', `Cannot run again as 'DIR' must be a results directory of torture: current value is ${why}`);
  let parsed: BatchesFile;
  try {
    parsed = parseBatchesFile(readFileSync(path.join(dir, BATCHES_FILE), 'utf8'));
  } catch {
    throw bad(dir, BATCHES_FILE, 'be the plan a run wrote (# cpus=N, then "batch name cpus" lines)');
  }
  const seed = logSeed(readText(path.join(dir, RUN_FILE.log)) ?? '');
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
      let s = checkScenarioJson(path.join(sdir, SCENARIO_FILE.scenario), r.name, readJson(sdir, SCENARIO_FILE.scenario, 'be the scenario a run wrote'));
      const spec = checkGuestSpecJson(path.join(sdir, SCENARIO_FILE.spec), s, readJson(sdir, SCENARIO_FILE.spec, 'be the guest spec a run wrote'));
      if (r.cpus !== s.nrCpus) throw bad(dir, BATCHES_FILE, `plan ${r.name} with its scenario's ${s.nrCpus} CPUs (not ${r.cpus})`);
      suite ??= s.suite;
      if (s.suite !== suite) throw bad(sdir, SCENARIO_FILE.scenario, `be of the run's suite (${suite}), as its first scenario`);
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
    ...(o.uniqueDatestamp === true ? { uniqueDatestamp: true } : {}),
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
