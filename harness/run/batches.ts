/*
 * Batch planning exactly as kvm.sh does it (kvm-assign-cpus.sh and the batch awk): sort the runs by decreasing
 * CPU count (ties by name, as `sort -k2nr` breaks them), then greedy first-fit into a budget of
 * `ncpus`; a run needing more than the budget gets a batch of its own and is tagged `-ovf`. With
 * ncpus == 0 (neither --cpus nor --allcpus) every run is its own batch. Repeat suffixes (`.2`) are
 * assigned in schedule order, as kvm.sh's awk does.
 *
 * Our guests oversubscribe on purpose (TREE05 = 8 CPU threads on 2 cores), so a budget is about
 * how many guests share the host at once, not about pinning; unlike kvm.sh, --cpus N is therefore
 * not capped at the host's CPU count.
 * Also formats the three `--dryrun` plans. Does not run anything.
 */

import { runNames } from '../config/configs_list.js';
import type { BatchesFileRun } from '../formats/batches_file.js';

/** One run of a batch: the record `batches` holds, read back by harness/formats/batches_file.ts. */
export type PlannedRun = BatchesFileRun;

export interface Batch {
  /** 1-based, as in `----Start batch 1`. */
  readonly index: number;
  readonly runs: readonly PlannedRun[];
}

export interface RunRequest {
  readonly baseName: string;
  readonly cpus: number;
}

/** Pack runs into batches (see the header). */
export function planBatches(requests: readonly RunRequest[], ncpus: number): Batch[] {
  const sorted = [...requests].sort((a, b) => b.cpus - a.cpus || (a.baseName < b.baseName ? -1 : a.baseName > b.baseName ? 1 : 0));
  const groups: RunRequest[][] = [];
  if (ncpus <= 0) {
    for (const r of sorted) groups.push([r]);
  } else {
    const done = new Array<boolean>(sorted.length).fill(false);
    let left = sorted.length;
    while (left > 0) {
      const batch: RunRequest[] = [];
      let free = ncpus;
      for (let i = 0; i < sorted.length; i++) {
        const r = sorted[i];
        if (r === undefined || done[i] === true) continue;
        if (r.cpus <= free || batch.length === 0) {
          batch.push(r);
          free -= r.cpus;
          done[i] = true;
          left--;
        }
      }
      groups.push(batch);
    }
  }
  const names = runNames(groups.flat().map((r) => r.baseName));
  let k = 0;
  return groups.map((g, i) => ({
    index: i + 1,
    runs: g.map((r) => ({ name: names[k++] ?? r.baseName, baseName: r.baseName, cpus: r.cpus, ovf: ncpus > 0 && r.cpus > ncpus })),
  }));
}

/** `--dryrun batches`: one `batchno scenario cpus` line per run. */
export function formatBatches(batches: readonly Batch[]): string {
  return batches.flatMap((b) => b.runs.map((r) => `${b.index} ${r.name} ${r.cpus}`)).join('\n') + '\n';
}

/** `--dryrun scenarios`: one numbered line per batch, `1.  TREE05 TREE01`. */
export function formatScenarios(batches: readonly Batch[]): string {
  return batches.map((b) => `${b.index}. ${b.runs.map((r) => ` ${r.name}`).join('')}`).join('\n') + '\n';
}

/** `--dryrun sched`: the schedule plus build and batch totals. */
export function formatSched(batches: readonly Batch[]): string {
  const lines: string[] = [];
  for (const b of batches) {
    lines.push(`----Start batch ${b.index}`);
    for (const r of b.runs) lines.push(` ${r.name} ${r.cpus}${r.ovf ? '-ovf' : ''}`);
  }
  const nruns = batches.reduce((n, b) => n + b.runs.length, 0);
  lines.push(`Total number of builds: ${nruns}`, `Total number of batches: ${batches.length}`);
  return lines.join('\n') + '\n';
}
