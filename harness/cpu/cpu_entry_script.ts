/*
 * How a guest starts its CPU workers (harness/guest/guest_main.ts): where Node's require() loads
 * an ES module (`process.features.require_module`: Node 20.19+, 22.12+, without
 * `--no-experimental-require-module`), a CommonJS script given as `eval` source; else the ES
 * module cpu_entry_module.ts. The script spares each worker Node's ES module loader start-up
 * (cpu_entry.ts says why and what it runs; harness/cpu/README.md, "Boot"). Apart from
 * cpu_entry.ts so that the guest's main thread gets the entry without loading the CPU's modules.
 */

import { fileURLToPath } from 'node:url';

/** The first argument and the `eval` option of `new Worker()` for a CPU. */
export interface CpuWorkerEntry {
  readonly filename: string | URL;
  readonly eval: boolean;
}

/** Eager source maps off (before any module of the CPU loads), then cpu_entry.ts's cpu_entry(). */
export function cpuWorkerEntry(): CpuWorkerEntry {
  if (process.features.require_module !== true) return { filename: new URL('./cpu_entry_module.js', import.meta.url), eval: false };
  const entry = fileURLToPath(new URL('./cpu_entry.js', import.meta.url));
  return { filename: `process.setSourceMapsEnabled(false);\nrequire(${JSON.stringify(entry)}).cpu_entry();\n`, eval: true };
}
