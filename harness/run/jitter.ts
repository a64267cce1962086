/*
 * `--jitter "N [maxsleep_us [maxspin_us]]"`, kvm.sh's jitterstart.sh/jitter.sh: while a batch runs,
 * N host-side load threads alternate random busy spins and random sleeps, perturbing when the
 * guests' CPU threads get the host's cores. N = -1 means one per CPU of the batch budget (one when
 * there is no budget), as kvm.sh computes it; 0 turns it off (our default: the guests already
 * oversubscribe the host). Defaults as jitter.sh: maxsleep 1000000 us, maxspin 1000 us.
 * The threads are worker threads of the driver (jitter_worker.ts), seeded from the run's seed.
 */

import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { OptionKind } from '../cli/option_kinds.js';
import { TortureError } from '../errors.js';
import type { JitterSpec } from './plan.js';

export const JITTER_DEFAULT_MAXSLEEP_US = 1_000_000;
export const JITTER_DEFAULT_MAXSPIN_US = 1000;

/** Parse `--jitter`'s value (kvm.sh's regex: `^-?[0-9]+( +[0-9]+){0,2} *$`). */
export function parseJitter(text: string): JitterSpec {
  if (!/^-?[0-9]+( +[0-9]+){0,2} *$/.test(text) || Number.parseInt(text, 10) < -1) {
    throw new TortureError('USAGE', `Cannot use --jitter as '"N [maxsleep_us [maxspin_us]]"' must be N >= -1 then up to two integers >= 0: current value is ${text || '(empty)'}`);
  }
  const [n, sleep, spin] = text.trim().split(/ +/).map((w) => Number.parseInt(w, 10));
  return { count: n ?? 0, maxSleepUs: sleep ?? JITTER_DEFAULT_MAXSLEEP_US, maxSpinUs: spin ?? JITTER_DEFAULT_MAXSPIN_US };
}

/** The kind of `--jitter` (harness/cli/option_kinds.ts). */
export const JITTER: OptionKind<JitterSpec> = { value: '"N [SLEEP [SPIN]]"', parse: (t) => parseJitter(t) };

/** How many threads a batch gets (kvm.sh: -1 is ncpus, or 1 without a budget). */
export function jitterThreads(j: JitterSpec, ncpus: number): number {
  return j.count === -1 ? (ncpus === 0 ? 1 : ncpus) : j.count;
}

export interface JitterHandle {
  readonly threads: number;
  /** Milliseconds each thread has spun so far. */
  spunMs(): number[];
  stop(): Promise<void>;
}

/** jitter_worker.js beside this module once compiled; from the sources (vitest), the one in dist/. */
function jitterWorkerUrl(): URL {
  const here = new URL('./jitter_worker.js', import.meta.url);
  return existsSync(here) ? here : new URL('../../dist/harness/run/jitter_worker.js', import.meta.url);
}

/** Start a batch's jitter threads. */
export function startJitter(j: JitterSpec, ncpus: number, seed: number): JitterHandle {
  const n = jitterThreads(j, ncpus);
  const stopSab = new SharedArrayBuffer(4 * (1 + n));
  const stopWord = new Int32Array(stopSab);
  const workers = Array.from(
    { length: n },
    (_, index) =>
      new Worker(jitterWorkerUrl(), {
        workerData: { index, seed, maxSleepUs: j.maxSleepUs, maxSpinUs: j.maxSpinUs, stop: stopSab },
        name: `jitter${index}`,
      }),
  );
  const exited = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
  return {
    threads: n,
    spunMs: () => Array.from({ length: n }, (_, i) => Atomics.load(stopWord, 1 + i)),
    async stop() {
      // Pairs with the Atomics.wait/load on word 0 in jitter_worker.ts.
      Atomics.store(stopWord, 0, 1);
      Atomics.notify(stopWord, 0);
      await Promise.all(exited);
    },
  };
}
