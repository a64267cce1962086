/*
 * Lockdep for a standalone bench CPU: loads harness/lockdep (if it has landed and loads) and
 * builds the validator over the machine's lockdep region exactly as the runtime does for a guest
 * with CONFIG_PROVE_LOCKING=y (harness/cpu/lockdep_wiring.ts: the same env, field for field), so
 * a `.lockdep` row measures the validator kernel code really runs under. The module is imported
 * dynamically so that a broken lockdep turns the `.lockdep` rows into skipped rows only.
 *
 * Does not: report splats itself. The validator prints through the CPU's console sink, which the
 * bench worker keeps as the row's notes.
 */

import type { CpuRuntime } from '../cpu/cpu_runtime.js';
import type { LockdepValidator } from '../cpu/lockdep_hooks.js';
import { LOCKDEP_BASE } from '../shm/layout.js';


export interface LockdepModule {
  readonly words: number;
  /** Validator factory for attachCpu's `validator` option. */
  validator(i32: Int32Array, print: (lines: readonly string[]) => void): (rt: CpuRuntime) => LockdepValidator;
}

export async function loadLockdep(): Promise<{ ok: true; ld: LockdepModule } | { ok: false; reason: string }> {
  const url = new URL('../lockdep/index.js', import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : '';
    if (code === 'ERR_MODULE_NOT_FOUND') return { ok: false, reason: 'harness/lockdep/index.ts not built/present' };
    return { ok: false, reason: `harness/lockdep does not load: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}` };
  }
  const init = mod['lockdepInit'];
  const words = mod['LOCKDEP_SHM_WORDS'];
  if (typeof init !== 'function') return { ok: false, reason: 'harness/lockdep exports no lockdepInit' };
  if (typeof words !== 'number') return { ok: false, reason: 'harness/lockdep exports no LOCKDEP_SHM_WORDS' };
  const { makeValidator } = await import('../cpu/lockdep_wiring.js');
  return {
    ok: true,
    ld: {
      words,
      // The same wiring as a guest CPU with CONFIG_PROVE_LOCKING=y (harness/cpu/lockdep_wiring.ts).
      validator: (i32, print) => (rt: CpuRuntime) =>
        makeValidator({
          i32,
          base: LOCKDEP_BASE,
          rt,
          print,
          onReport: (title: string) => print([`lockdep report: ${title}`]),
          kernelRelease: 'bench',
        }),
    },
  };
}
