/*
 * Runs the locks_worker.ts fixture (from dist/) on N real worker threads and collects their
 * results and reports; `until` ends the run early (terminating the workers) once the reports
 * hold what a test waits for, e.g. a deadlock report from threads that will never finish.
 */

import { Worker } from 'node:worker_threads';
import type { LockHandle } from '../lock_word.js';
import type { LocksJob, LocksMsg, LocksResult } from './locks_worker.js';

const fixture = new URL('../../../dist/harness/locks/test_support/locks_worker.js', import.meta.url);

export interface LocksRun {
  readonly results: LocksResult[];
  readonly reports: { kind: string; text: string; role: number }[];
  /** True when `until` ended the run (the workers were terminated). */
  readonly stopped: boolean;
}

export interface RunSpec {
  readonly scenario: LocksJob['scenario'];
  readonly threads: number;
  readonly iters: number;
  readonly locks: readonly LockHandle[];
  readonly lockdep?: boolean;
  /** The planted bug of `exclusion`: the threads skip the lock. */
  readonly unlocked?: boolean;
  readonly names?: readonly string[];
  readonly async?: boolean;
  readonly permits?: number;
  readonly hungTaskTimeoutSecs?: number;
  readonly until?: (reports: LocksRun['reports']) => boolean;
  /** Give up (terminate, reject) after this many ms. Default 60,000. */
  readonly capMs?: number;
  /** Collect the workers' standard error as `stderr` reports. */
  readonly stderr?: boolean;
  /** Extra environment for the workers (TORTURE_LOCKDEP). */
  readonly env?: Record<string, string>;
}

export function runLocks(spec: RunSpec): Promise<LocksRun> {
  const shared = new SharedArrayBuffer(64 * 4);
  const workers: Worker[] = [];
  const results: LocksResult[] = [];
  const reports: LocksRun['reports'] = [];
  return new Promise((resolve, reject) => {
    let ended = 0;
    let settled = false;
    const finish = (stopped: boolean, err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(cap);
      void Promise.all(workers.map((w) => w.terminate())).then(() => (err !== undefined ? reject(err) : resolve({ results, reports, stopped })));
    };
    const cap = setTimeout(() => finish(false, new Error(`locks run ${spec.scenario} did not end in ${spec.capMs ?? 60_000} ms; reports: ${reports.map((r) => `${r.kind}: ${r.text.slice(0, 300)}`).join(', ')}`)), spec.capMs ?? 60_000);
    for (let role = 0; role < spec.threads; role++) {
      const job: LocksJob = {
        scenario: spec.scenario,
        role,
        threads: spec.threads,
        iters: spec.iters,
        shared,
        locks: spec.locks,
        lockdep: spec.lockdep ?? false,
        name: spec.names?.[role] ?? `locker${role}`,
        ...(spec.unlocked !== undefined ? { unlocked: spec.unlocked } : {}),
        ...(spec.async !== undefined ? { async: spec.async } : {}),
        ...(spec.permits !== undefined ? { permits: spec.permits } : {}),
        ...(spec.hungTaskTimeoutSecs !== undefined ? { hungTaskTimeoutSecs: spec.hungTaskTimeoutSecs } : {}),
      };
      const w = new Worker(fixture, { workerData: job, execArgv: ['--enable-source-maps'], env: { ...process.env, ...spec.env }, stderr: spec.stderr === true });
      workers.push(w);
      if (spec.stderr === true) {
        // Reports printed by the default onReport (console.error), one pseudo report per chunk.
        w.stderr.setEncoding('utf8');
        w.stderr.on('data', (text: string) => {
          reports.push({ kind: 'stderr', text, role });
          if (spec.until?.(reports) === true) finish(true);
        });
      }
      w.on('message', (m: LocksMsg) => {
        if (m.type === 'done') {
          results.push(m.result);
          if (results.length === spec.threads) finish(false);
        } else {
          reports.push({ kind: m.kind, text: m.text, role });
          if (spec.until?.(reports) === true) finish(true);
        }
      });
      w.on('error', (e) => finish(false, e));
      w.on('exit', () => {
        ended++;
        // A worker that ended without its result (an Oops in it): let queued messages arrive first.
        if (ended === spec.threads) setImmediate(() => finish(false, results.length < spec.threads ? new Error(`locks run ${spec.scenario}: ${spec.threads - results.length} worker(s) ended without a result`) : undefined));
      });
    }
  });
}
