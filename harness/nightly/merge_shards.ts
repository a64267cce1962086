/*
 * `torture merge`'s work: the results directories of the shards of one battery into one new
 * results directory (README.md, shards and merge). The shards must be distinct and of the same
 * battery (same plan); their job directories are copied, the jobs of a shard not given are
 * recorded as not run (failures), a job whose directory (or a planned scenario of one of its steps)
 * is gone is a failure (`missing`), and the merged directory ends like a battery: nightly.json, the
 * closing lines, index.html and junit.xml. Its results directory and log are a run session's
 * (harness/run/run_session.ts), without signals: nothing runs that could be stopped.
 */

import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { TortureError } from '../errors.js';
import { asWriteFailure } from '../lib/write_file_atomic.js';
import { RunSession } from '../run/run_session.js';
import { NIGHTLY_JSON, readBatteryRecord, writeBatteryRecord, type BatteryRecord, type JobRecord } from '../formats/battery_files.js';
import { missingRuns } from '../formats/batches_file.js';
import { writeBatteryOutputs } from './battery_record.js';

function bad(message: string): TortureError {
  return new TortureError('USAGE', message);
}

interface Shard {
  readonly dir: string;
  readonly r: BatteryRecord;
}

/** The records of `dirs`, checked to be distinct shards of one battery; the first is the reference. */
function shardRecords(dirs: readonly string[]): { records: Shard[]; first: BatteryRecord } {
  const records = dirs.map((d) => {
    const r = readBatteryRecord(d);
    if (r === null) throw bad(`Cannot merge as '${d}' must be a nightly battery directory (with ${NIGHTLY_JSON}): current value has none`);
    return { dir: d, r };
  });
  const first = records[0];
  if (first === undefined) throw bad(`Cannot merge as 'DIR...' must name at least one shard results directory: current value is (none)`);
  const seen = new Set<number>();
  for (const { dir, r } of records) {
    if (JSON.stringify(r.shards) !== JSON.stringify(first.r.shards)) {
      throw bad(`Cannot merge as '${dir}' must be a shard of the same battery as '${first.dir}' (same options, same plan): current value plans other jobs`);
    }
    const idx = r.shard?.index ?? 1;
    if (seen.has(idx)) throw bad(`Cannot merge as 'each shard' must be given once: current value has shard ${idx}/${first.r.shards.length} twice`);
    seen.add(idx);
  }
  return { records, first: first.r };
}

/** What a shard's job lost: its directory, or a scenario a results-directory step planned (`missing: ...`). */
function missingOf(jobDir: string, job: JobRecord): string[] {
  if (!existsSync(jobDir)) return [`missing: ${jobDir} (the job's directory is gone)`];
  return job.steps
    .filter((s) => s.output === 'results-dir' && s.state === 'done')
    .flatMap((s) => missingRuns(path.join(jobDir, s.name)).map((n) => `missing: ${path.join(jobDir, s.name, n)} (planned, no scenario directory)`));
}

/** Merge the shard directories `dirs` into the new `outdir`; the battery's exit code. */
export function mergeShards(
  dirs: readonly string[],
  outdirWanted: string,
  commandLine: string,
  io: { readonly out: (line: string) => void },
  now: Date = new Date(),
  uniqueResdir = false,
): number {
  const { records, first } = shardRecords(dirs);
  const session = new RunSession({ resdir: outdirWanted, uniqueResdir, commandLine, echo: (l) => io.out(l) });
  const outdir = session.resdir;
  const byName = new Map<string, { job: JobRecord; dir: string }>();
  for (const { dir, r } of records) for (const j of r.jobs) byName.set(j.name, { job: j, dir });
  // The battery's own order; a job of a shard not given is recorded as not run (a failure).
  const jobs: JobRecord[] = [];
  for (const p of first.planned) {
    const n = p.name;
    const got = byName.get(n);
    if (got === undefined) {
      const shard = first.shards.findIndex((s) => s.includes(n)) + 1;
      jobs.push({ ...p, cpuSeconds: 0, state: 'not-run', passed: false, reasons: [`not run: shard ${shard}/${first.shards.length} not among the merged directories`], seconds: null, steps: [] });
      continue;
    }
    const src = path.join(got.dir, n);
    const missing = missingOf(src, got.job);
    try {
      if (existsSync(src)) cpSync(src, path.join(outdir, n), { recursive: true });
    } catch (e) {
      throw asWriteFailure(e, path.join(outdir, n)) ?? e;
    }
    jobs.push(missing.length === 0 ? { ...got.job, fromShard: got.dir } : { ...got.job, passed: false, reasons: [...got.job.reasons, ...missing], fromShard: got.dir });
  }
  const starts = records.map((x) => x.r.startedAt).sort();
  const ends = records.map((x) => x.r.endedAt ?? x.r.startedAt).sort();
  const record: BatteryRecord = {
    version: 1,
    commandLine,
    startedAt: starts[0] ?? now.toISOString(),
    endedAt: ends[ends.length - 1] ?? now.toISOString(),
    durationSec: first.durationSec,
    shard: null,
    shards: first.shards,
    planned: first.planned,
    perRunSec: first.perRunSec,
    jobs,
    mergedFrom: [...dirs],
  };
  writeBatteryRecord(outdir, record);
  session.log(` --- Results directory: ${outdir}`);
  for (const { dir, r } of records) session.log(` --- Shard ${r.shard?.index ?? 1}/${first.shards.length}: ${dir} (${r.jobs.length} jobs)`);
  return writeBatteryOutputs(outdir, record, session.log);
}
