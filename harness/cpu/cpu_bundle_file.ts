/** The CPU bundle's file name in dist/harness/cpu/ (cpu_bundle.ts loads it, lazy_source_maps.ts maps its frames; no imports: both load it). */
export const CPU_BUNDLE_FILE = 'vmlinux.js';
