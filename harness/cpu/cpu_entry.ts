/*
 * The CPU worker's entry (harness/guest/guest_main.ts starts one per CPU): Node's eager source
 * maps off, then the CPU itself (cpu_main.ts), from the CPU bundle when it holds the guest's boot
 * modules (cpu_bundle.ts), else as ES modules. A worker inherits the guest's
 * `--enable-source-maps`, with which Node 20 reads and parses the source map of every module as
 * it loads it; the worker maps its stacks lazily instead (lazy_source_maps.ts). This must happen
 * before cpu_main.ts's static imports load, hence a module of its own. (A worker started without
 * the flag would need an execArgv of its own, and a worker refuses the V8 flags a guest may carry,
 * such as --max-old-space-size.)
 */

import { parentPort, workerData } from 'node:worker_threads';
import type { CpuStart, FromCpu } from './protocol.js';

process.setSourceMapsEnabled(false);
const start = workerData as CpuStart;
const { loadCpuBundle } = await import('./cpu_bundle.js');
const bundle = loadCpuBundle(start.cpu, start.modules, start.codeCache);
if (bundle !== null) {
  await bundle.main();
} else {
  const { cpu_main } = await import('./cpu_main.js');
  const image: FromCpu = { kind: 'cpu-image', cpu: start.cpu, image: { image: 'modules', cache: 'none' } };
  await cpu_main(
    async (url: string) => import(url),
    () => {
      if (start.cpu === 0) parentPort?.postMessage(image);
    },
  );
}

export {};
