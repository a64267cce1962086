/*
 * The CPU worker's entry as an ES module, for a Node whose require() cannot load ES modules
 * (cpu_entry_script.ts chooses): Node's eager source maps off before the CPU's modules load,
 * then cpu_entry.ts's cpu_entry(), as the CommonJS script does.
 */

process.setSourceMapsEnabled(false);
const { cpu_entry } = await import('./cpu_entry.js');
cpu_entry();

export {};
