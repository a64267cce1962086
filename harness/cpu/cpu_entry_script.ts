/*
 * How a guest starts its CPU workers (harness/guest/guest_main.ts): where Node's require() loads
 * an ES module without a warning (`process.features.require_module`, without
 * `--no-experimental-require-module`, on a Node that prints nothing for it: requireEsmQuiet()), a
 * CommonJS script given as `eval` source; else the ES
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

/**
 * Whether require() of an ES module runs without a word on stderr in `version` (process.version):
 * Node 22.12 and 23.0-23.4 load it but print an ExperimentalWarning each time, which every CPU
 * worker would add to the guest's output; 20.19+, 22.13+ and 23.5+ print nothing (the warning
 * only under --trace-require-module).
 */
export function requireEsmQuiet(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major === 22) return minor >= 13;
  if (major === 23) return minor >= 5;
  return major === 20 ? minor >= 19 : major > 23;
}

/** Eager source maps off (before any module of the CPU loads), then cpu_entry.ts's cpu_entry(). */
export function cpuWorkerEntry(): CpuWorkerEntry {
  if (process.features.require_module !== true || !requireEsmQuiet(process.version)) return { filename: new URL('./cpu_entry_module.js', import.meta.url), eval: false };
  const entry = fileURLToPath(new URL('./cpu_entry.js', import.meta.url));
  return { filename: `process.setSourceMapsEnabled(false);\nrequire(${JSON.stringify(entry)}).cpu_entry();\n`, eval: true };
}
