/*
 * The plan a run leaves in its results directory, read back: `batches` (`# cpus=N`, then one
 * `batchno name cpus` line per run, as harness/run/batches.ts formats it for kvm.sh's --dryrun
 * batches) and `scenarios` (`# cpus=N`, then `1.  TREE05 TREE01` per batch). `torture again`
 * repeats the plan; recheck, the report and merge compare it with the scenario directories
 * present, so that a planned run whose directory is gone is a failure (`missing`), never silently
 * absent. On the ground floor because all of them read it.
 */

import path from 'node:path';
import { isScenarioDir, readText } from './results_files.js';

export const BATCHES_FILE = 'batches';
export const SCENARIOS_FILE = 'scenarios';

/** One run of a batch as `batches` records it (harness/run/batches.ts plans them: PlannedRun). */
export interface BatchesFileRun {
  /** Name as run (`TREE05.2`). */
  readonly name: string;
  readonly baseName: string;
  readonly cpus: number;
  /** Needs more CPUs than the batch budget (kvm.sh's `-ovf`). */
  readonly ovf: boolean;
}

export interface BatchesFile {
  readonly ncpus: number;
  readonly batches: readonly { readonly index: number; readonly runs: readonly BatchesFileRun[] }[];
}

/** `batches` back into its batches; throws Error naming the first line it cannot read. */
export function parseBatchesFile(text: string): BatchesFile {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = /^# cpus=(\d+)$/.exec(lines[0] ?? '');
  if (head === null) throw new Error('no # cpus= line');
  const ncpus = Number(head[1]);
  const byIndex = new Map<number, BatchesFileRun[]>();
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

/** Run names of `scenarios` (`1.  TREE05 TREE01` lines), or null when it cannot be read. */
function scenariosFileRuns(text: string): string[] | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const names: string[] = [];
  for (const l of lines) {
    const m = /^\d+\.\s+(.*)$/.exec(l);
    if (m === null) return null;
    names.push(...(m[1] ?? '').split(/\s+/).filter((w) => w !== ''));
  }
  return names;
}

/**
 * The runs the plan of results directory `resdir` names (from `batches`, else `scenarios`), in
 * plan order; empty when it has neither (older results, a battery, a lone scenario directory).
 */
export function plannedRuns(resdir: string): string[] {
  const batches = readText(path.join(resdir, BATCHES_FILE));
  if (batches !== null) {
    try {
      return parseBatchesFile(batches).batches.flatMap((b) => b.runs.map((r) => r.name)).filter(isRunName);
    } catch {
      // A damaged `batches`: fall back on `scenarios`.
    }
  }
  const scenarios = readText(path.join(resdir, SCENARIOS_FILE));
  return ((scenarios === null ? null : scenariosFileRuns(scenarios)) ?? []).filter(isRunName);
}

/** A run name is one path component (a damaged plan never points recheck outside `resdir`). */
function isRunName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes(path.sep);
}

/**
 * Planned runs of `resdir` that left nothing to judge: no directory, or one without any file a
 * guest leaves (guest-spec.json, console.log, guest-retval). A run whose directory holds some of
 * them is judged as usual (no console.log is a failure of its own there).
 */
export function missingRuns(resdir: string): string[] {
  return plannedRuns(resdir).filter((name) => !isScenarioDir(path.join(resdir, name)));
}
