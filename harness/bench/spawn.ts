/*
 * Starting the bench's worker threads: the compiled worker entries under dist/ (Node 20 cannot
 * start a .ts worker), found whether the caller runs from dist/ or from source under vitest, and
 * a bounded wait for their replies so that a hung lock becomes a skipped row, not a hung bench.
 */

import { Worker } from 'node:worker_threads';
import { distFile } from '../lib/dist_entry.js';
import type { WorkerReply } from './bench_types.js';

/** dist/harness/bench/<entry>.js */
export function workerPath(entry: 'uncontended_worker' | 'contended_worker' | 'rcu_scale_mod'): string {
  return distFile(`harness/bench/${entry}.js`);
}

export interface Spawned {
  readonly worker: Worker;
  /** The worker's one reply, or a skip reply if it died or exceeded the deadline. */
  readonly reply: Promise<WorkerReply>;
}

export function spawnWorker(entry: 'uncontended_worker' | 'contended_worker', data: unknown, deadlineMs: number): Spawned {
  const worker = new Worker(workerPath(entry), { workerData: data, stdout: true, stderr: true });
  // Console output of the worker (e.g. a kernel printk with no sink) must not garble the table.
  worker.stdout.resume();
  let stderr = '';
  worker.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 2000) stderr += b.toString();
  });
  const reply = new Promise<WorkerReply>((resolve) => {
    let done = false;
    const finish = (r: WorkerReply): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      finish({ kind: 'skip', ok: false, reason: `hung: no result within ${Math.round(deadlineMs / 1000)} s` });
      void worker.terminate();
    }, deadlineMs);
    worker.on('message', (m: WorkerReply) => finish(m));
    worker.on('error', (e: Error) => finish({ kind: 'skip', ok: false, reason: `broken: ${e.message.split('\n')[0] ?? e.message}` }));
    worker.on('exit', (code) =>
      finish({ kind: 'skip', ok: false, reason: `broken: worker exited (code ${code}) without a result${stderr ? `: ${stderr.trim().split('\n')[0] ?? ''}` : ''}` }),
    );
  });
  return { worker, reply };
}
