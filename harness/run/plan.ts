/*
 * From checked command-line values to a complete run plan: every scenario loaded and validated
 * (config errors surface here, before anything starts), repeats expanded, batches packed and runs
 * named. Pure apart from reading configs/<suite>/.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expandConfigs } from '../config/configs_list.js';
import { parseCflist } from '../config/fragment_parse.js';
import { loadScenario, renameScenario, withBootParam, type Scenario } from '../config/scenario.js';
import { TortureError } from '../errors.js';
import type { TortureSuite } from '../guest/guest_spec.js';
import { planBatches, type Batch } from './batches.js';

import { SEED_PARAM, type DryrunKind } from './plan_words.js';

export { DRYRUN_KINDS, SEED_PARAM, type DryrunKind } from './plan_words.js';

export interface RunOptions {
  readonly suite: TortureSuite;
  readonly durationSec: number;
  readonly shutdownGraceSec: number;
  /** Batch budget in CPUs; 0 = one scenario per batch. */
  readonly ncpus: number;
  readonly configs: readonly string[];
  readonly bootargs: readonly string[];
  readonly kconfig: readonly string[];
  /** Absolute results root (`./results` resolved). */
  readonly resultsRoot: string;
  readonly datestamp: string;
  /** The user chose no --datestamp: a default already taken gets a `.N` suffix (run_session.ts). */
  readonly uniqueDatestamp?: boolean;
  readonly opsModule?: string;
  readonly dryrun?: DryrunKind;
  /** The command line as typed, first line of `log`. */
  readonly commandLine: string;
  /** Absolute directory holding `<suite>/` scenario dirs (normally `<repo>/configs`). */
  readonly configsRoot: string;
  /** The run's random seed (--seed, or chosen): see seedOfRun(). */
  readonly seed: number;
  /** Per-guest memory cap in MB (--memory), or none. */
  readonly memoryMb?: number;
  /** Host-side jitter threads per batch (--jitter); absent or count 0: none. */
  readonly jitter?: JitterSpec;
  /** Set by `torture again`: the results directory this run repeats (kvm-again.sh's `re-run`). */
  readonly againOf?: string;
}

/** `--jitter "N [maxsleep_us [maxspin_us]]"`: N = -1 means one thread per CPU of the batch. */
export interface JitterSpec {
  readonly count: number;
  readonly maxSleepUs: number;
  readonly maxSpinUs: number;
}


/**
 * The seed of one run: the run's seed for `TREE05`, seed + k - 1 for its repeat `TREE05.k`, so
 * that repeats draw different streams while one --seed still fixes them all.
 */
export function seedOfRun(seed: number, runName: string): number {
  const m = /\.(\d+)$/.exec(runName);
  return (seed + (m === null ? 0 : Number(m[1]) - 1)) >>> 0;
}

export interface RunPlan extends RunOptions {
  readonly resdir: string;
  /** Run name (`TREE05.2`) -> scenario. */
  readonly scenarios: ReadonlyMap<string, Scenario>;
  readonly batches: readonly Batch[];
}

/** Load everything and pack batches; throws TortureError on any bad input. */
export function buildPlan(o: RunOptions): RunPlan {
  const configsDir = path.join(o.configsRoot, o.suite);
  const shownDir = path.relative(process.cwd(), configsDir) || configsDir;
  if (!existsSync(configsDir)) {
    throw new TortureError('CONFIG_BAD_FILE', `Cannot run the ${o.suite} suite as '${shownDir}' must be a directory of scenarios: current value is missing`);
  }
  const cflist = (): string[] => {
    const f = path.join(configsDir, 'CFLIST');
    if (!existsSync(f)) throw new TortureError('CONFIG_BAD_FILE', `Cannot expand CFLIST as '${shownDir}/CFLIST' must exist: current value is missing`);
    return parseCflist(readFileSync(f, 'utf8'), `${shownDir}/CFLIST`);
  };
  const baseNames = expandConfigs(o.configs, cflist);
  const loaded = new Map<string, Scenario>();
  for (const name of baseNames) {
    if (loaded.has(name)) continue;
    loaded.set(
      name,
      loadScenario({ configsDir, shownDir, suite: o.suite, name, durationSec: o.durationSec, bootargs: o.bootargs, kconfigArgs: o.kconfig }),
    );
  }
  const batches = planBatches(
    baseNames.map((b) => ({ baseName: b, cpus: loaded.get(b)?.nrCpus ?? 1 })),
    o.ncpus,
  );
  const scenarios = new Map<string, Scenario>();
  for (const b of batches) {
    for (const r of b.runs) {
      const s = loaded.get(r.baseName);
      if (s !== undefined) scenarios.set(r.name, withBootParam(renameScenario(s, r.name), SEED_PARAM, String(seedOfRun(o.seed, r.name))));
    }
  }
  return { ...o, resdir: path.join(o.resultsRoot, o.datestamp), scenarios, batches };
}
