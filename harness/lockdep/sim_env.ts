/*
 * A LockdepEnv driven by hand: the caller sets the current task and the irq flags. Used by the
 * trace checker, the locking selftest, the user API and tests (one thread, one pseudo CPU).
 */

import type { LockdepBugKind, LockdepEnv, LockdepFinding, LockdepIrqState, LockdepTask } from './types.js';

export class SimTask implements LockdepTask {
  readonly pid: number;
  readonly comm: string;
  readonly cpu: number;
  lockdep?: unknown;
  constructor(pid: number, comm: string, cpu = 0) {
    this.pid = pid;
    this.comm = comm.slice(0, 15);
    this.cpu = cpu;
  }
}

export class SimEnv implements LockdepEnv {
  task: LockdepTask;
  readonly irq: LockdepIrqState = { hardirq: false, softirq: false, irqsDisabled: false, bhDisabled: false };
  readonly lines: string[] = [];
  readonly bugs: { kind: LockdepBugKind; title: string; finding: LockdepFinding | undefined }[] = [];
  readonly kernelRelease: string;
  printer: ((lines: readonly string[]) => void) | null = null;
  /** Stack capture override (LockdepEnv.captureStack); undefined = the default JS stack capture. */
  captureStack: (() => string[]) | undefined = undefined;
  /** LockdepEnv.stackToken / stackOf (set both before lockdepInit, or neither). */
  stackToken: (() => number) | undefined = undefined;
  stackOf: ((token: number) => readonly string[]) | undefined = undefined;

  constructor(task: LockdepTask, kernelRelease = '0.1.0-torture #1') {
    this.task = task;
    this.kernelRelease = kernelRelease;
  }

  current(): LockdepTask {
    return this.task;
  }

  irqState(): LockdepIrqState {
    return this.irq;
  }

  print(lines: readonly string[]): void {
    if (this.printer !== null) this.printer(lines);
    else this.lines.push(...lines);
  }

  onReport(kind: LockdepBugKind, title: string, finding?: LockdepFinding): void {
    this.bugs.push({ kind, title, finding });
  }
}
