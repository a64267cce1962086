/*
 * The CPU worker's entry (harness/guest/guest_main.ts starts one per CPU): Node's eager source
 * maps off, then the CPU itself (cpu_main.ts). A worker inherits the guest's
 * `--enable-source-maps`, with which Node 20 reads and parses the source map of every module as
 * it loads it; the worker maps its stacks lazily instead (lazy_source_maps.ts). This must happen
 * before cpu_main.ts's static imports load, hence a module of its own. (A worker started without
 * the flag would need an execArgv of its own, and a worker refuses the V8 flags a guest may carry,
 * such as --max-old-space-size.)
 */

process.setSourceMapsEnabled(false);
await import('./cpu_main.js');

export {};
