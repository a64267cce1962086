/*
 * The CPU worker's entry (harness/guest/guest_main.ts starts one per CPU): the CPU itself
 * (cpu_main.ts), from the CPU bundle when it holds the guest's boot modules (cpu_bundle.ts), else
 * as ES modules.
 *
 * The worker is a CommonJS script (cpu_entry_script.ts), not this ES module: a worker whose
 * entry is an ES module starts Node's ES module loader first, some 5 ms of CPU per worker
 * (harness/cpu/README.md, "Boot"). The script turns Node's eager source maps off and loads this
 * module with require() (Node >= 20.19 loads an ES module without top-level await synchronously,
 * into the same module map that `import` uses: kapi stays one module). A worker inherits the
 * guest's `--enable-source-maps`, with which Node 20 reads and parses the source map of every
 * module as it loads it; the worker maps its stacks lazily instead (lazy_source_maps.ts), so the
 * flag must be off before this module's own imports load. (A worker started without the flag
 * would need an execArgv of its own, and a worker refuses the V8 flags a guest may carry, such as
 * --max-old-space-size.)
 */

import { parentPort, workerData } from 'node:worker_threads';
import { loadCpuBundle } from './cpu_bundle.js';
import type { CpuStart, FromCpu } from './protocol.js';

/** An error escaping the CPU's main: thrown outside any promise, so the worker dies with it ('error' in the guest). */
function die(err: unknown): void {
  setImmediate(() => {
    throw err;
  });
}

/** Run this worker's CPU (the worker's script calls it once). */
export function cpu_entry(): void {
  const start = workerData as CpuStart;
  const bundle = start.bundle ? loadCpuBundle(start.cpu, start.modules, start.codeCache, start.makeCodeCache) : null;
  if (bundle !== null) {
    bundle.main().catch(die);
    return;
  }
  const image: FromCpu = { kind: 'cpu-image', cpu: start.cpu, image: { image: 'modules', cache: 'none' } };
  import('./cpu_main.js')
    .then(({ cpu_main }) =>
      cpu_main(
        async (url: string) => import(url),
        () => {
          if (start.cpu === 0) parentPort?.postMessage(image);
        },
      ),
    )
    .catch(die);
}
