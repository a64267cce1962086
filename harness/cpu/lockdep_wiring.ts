/*
 * Connects a CPU to the guest's lockdep validator (harness/lockdep/), which lives in the shared
 * region at lockdepBase and is shared by all CPUs of the guest. Only loaded when the scenario
 * sets CONFIG_PROVE_LOCKING=y: with lockdep off this module is never imported.
 */

import { lockdepInit } from '../lockdep/index.js';
import type { CpuRuntime } from './cpu_runtime.js';
import { lockdepIrqBits, type LockdepValidator } from './lockdep_hooks.js';

export interface ValidatorWiring {
  readonly i32: Int32Array;
  readonly base: number;
  readonly rt: CpuRuntime;
  readonly print: (lines: readonly string[]) => void;
  readonly onReport: (title: string) => void;
  readonly kernelRelease: string;
}

/** The validator for one CPU (synchronous: also used by standalone bench CPUs). */
export function makeValidator(w: ValidatorWiring): LockdepValidator {
  const { rt } = w;
  // One object per CPU, refreshed in place: the acquire fast path must not allocate.
  const irq = { hardirq: false, softirq: false, irqsDisabled: false, bhDisabled: false };
  const v = lockdepInit(w.i32, w.base, {
    current: () => rt.currentOrIrq(),
    irqState: () => {
      irq.hardirq = rt.hardirqCount > 0;
      irq.softirq = rt.softirqCount > 0;
      irq.irqsDisabled = rt.irqsOff;
      irq.bhDisabled = rt.bhCount > 0;
      return irq;
    },
    // lock_acquire()'s fast path reads the same state as one integer (usage.ts IRQ_* bits), as
    // the CPU's hook does (lockdepIrqBits()). The model has no threaded hardirq handlers: neither
    // form reports one (hardirqThreaded, IRQ_THREADED); modelling them means setting both, or a
    // repeat would skip check_wait_context().
    irqBits: () => lockdepIrqBits(rt),
    print: w.print,
    onReport: (_kind: unknown, title: string) => w.onReport(title),
    kernelRelease: w.kernelRelease,
  }, {
    // check_wait_context() as the kernel's lockdep always runs it; PROVE_RAW_LOCK_NESTING makes
    // spinlock_t a wait type of its own (harness/lockdep/wait_context.ts).
    waitContext: true,
    rawLockNesting: rt.config.kconfig.get('CONFIG_PROVE_RAW_LOCK_NESTING') === 'y',
  });
  return v as unknown as LockdepValidator;
}

export async function loadValidator(w: ValidatorWiring): Promise<LockdepValidator> {
  return makeValidator(w);
}
