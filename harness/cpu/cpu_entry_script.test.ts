import { describe, expect, it } from 'vitest';
import { cpuWorkerEntry, requireEsmQuiet } from './cpu_entry_script.js';

describe('the CPU worker entry', () => {
  it('takes the CommonJS script only on a Node whose require(esm) prints no warning', () => {
    expect(['v20.19.0', 'v20.20.2', 'v22.13.0', 'v23.5.0', 'v24.0.0', 'v25.1.0'].map(requireEsmQuiet)).toEqual([true, true, true, true, true, true]);
    // 20.18 has no require(esm) by default; 22.12 and 23.0-23.4 warn on each.
    expect(['v20.18.3', 'v22.12.0', 'v22.0.0', 'v23.0.0', 'v23.4.0', 'v21.7.3'].map(requireEsmQuiet)).toEqual([false, false, false, false, false, false]);
  });

  it('on this Node: the script, or the ES module where require(esm) is off or loud', () => {
    const e = cpuWorkerEntry();
    const script = process.features.require_module === true && requireEsmQuiet(process.version);
    expect(e.eval).toBe(script);
    if (script) expect(String(e.filename)).toMatch(/^process\.setSourceMapsEnabled\(false\);\nrequire\(".*cpu_entry\.js"\)\.cpu_entry\(\);\n$/);
    else expect(String(e.filename)).toMatch(/cpu_entry_module\.js$/);
  });
});
