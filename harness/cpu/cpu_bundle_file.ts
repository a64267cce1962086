/** The CPU bundle's file name in dist/harness/cpu/ (cpu_bundle.ts loads it, lazy_source_maps.ts maps its frames; no imports: both load it). */
export const CPU_BUNDLE_FILE = 'vmlinux.js';
/** Beside it, the list of its boot modules (paths under dist/), so a CPU can tell before it compiles the bundle. */
export const CPU_BUNDLE_MODULES_FILE = 'vmlinux.modules.json';
