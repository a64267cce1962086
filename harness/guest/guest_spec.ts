/*
 * The contract between the driver (harness/run/) and one guest (harness/guest/guest_main.ts).
 *
 * The driver writes `<resdir>/<SCENARIO>/guest-spec.json` and starts
 *   node dist/harness/guest/guest_main.js <path to guest-spec.json>
 * as its own child process (kvm.sh starts one qemu per scenario). The guest streams its console
 * to `console.log` in the same directory as it runs, writes `lockdep_stats` and
 * `guest-result.json` when it ends, and exits with one of GUEST_EXIT. The driver kills a guest
 * still alive durationSec + shutdownGraceSec after its boot ended (SIGKILL, recorded as `killed`):
 * the test time counts from all CPUs up, as the guest reports it (GuestProgress.bootSec).
 */

import type { TortureSuite } from '../suites/index.js';
import type { CpuImage } from '../cpu/protocol.js';

export type { TortureSuite } from '../suites/index.js';

export interface GuestSpec {
  /** Scenario name as run, with repeat suffix: `TREE05`, `TREE05.2`. */
  readonly scenario: string;
  readonly suite: TortureSuite;
  /** Absolute path of the scenario's results directory (exists already). */
  readonly resdir: string;
  /** Merged Kconfig: CFcommon, then the scenario fragment, then --kconfig. `CONFIG_X` -> value. */
  readonly kconfig: Readonly<Record<string, string>>;
  /** Merged boot parameters in order: .boot, --bootargs, suite defaults. `module.param` -> value. */
  readonly bootParams: Readonly<Record<string, string>>;
  /** The full boot line as the kernel would see it (for the log and qemu-cmd-like record). */
  readonly bootLine: string;
  readonly nrCpus: number;
  readonly durationSec: number;
  readonly shutdownGraceSec: number;
  /** Absolute path (file URL or path) of a user lock-ops ES module (`--ops`), lock suite only. */
  readonly opsModule?: string;
  /**
   * Memory cap in MB (`--memory`, kvm.sh's `-m`), split evenly over the guest's V8 heaps (its
   * main thread and each CPU worker). Absent: no cap beyond V8's defaults.
   */
  readonly memoryMb?: number;
  /** Module URLs to boot instead of the suite's (harness/suites/): test kernels, the rcu_scale bench. */
  readonly modules?: readonly string[];
}

/** How a guest ended: its process exit code. */
export const GUEST_EXIT = {
  /** The kernel powered off by itself (torture_shutdown). Verdicts come from console.log. */
  poweroff: 0,
  /** A CPU oopsed, or the hang detector found a deadlock and stopped the guest. */
  failed: 1,
  /** The guest could not boot (bad --ops module, bad parameter caught late). */
  bootError: 3,
} as const;

/** guest-retval of a guest the driver killed with SIGKILL (128 + 9, as kvm.sh records a killed qemu). */
export const KILLED_RETVAL = 137;

/** `guest-result.json`, written by the guest as it ends (absent when it was killed). */
export interface GuestResult {
  readonly scenario: string;
  readonly end: 'poweroff' | 'oops' | 'hang' | 'boot-error' | 'oom';
  /** Seconds from boot to the end. */
  readonly seconds: number;
  /** Seconds from the process's start to all CPUs up (the test's start), null if it never got there. */
  readonly bootSec?: number | null;
  /**
   * CPU seconds the guest process (every thread) used up to the test's start, null if it never
   * got there: the boot's cost, which a loaded host's wall clock hides (harness/cpu/README.md, "Boot").
   */
  readonly bootCpuSec?: number | null;
  /** How the CPUs loaded their code (the CPU bundle or ES modules, and its code cache), null before CPU 0 booted. */
  readonly cpuImage?: CpuImage | null;
  /** One line per problem the guest itself saw (oops, hang) in the order seen. */
  readonly problems: readonly string[];
  /** Findings the kernel reported about itself (lockdep, torture checks), also in console.log. */
  readonly findings: readonly string[];
}

/**
 * What a guest sends the driver over its IPC channel while it runs (guest_main.ts, at most once a
 * second and only when something changed): counters read from its console, for the live display.
 * The channel is also the guest's lifeline: when it closes (the driver died, even by kill -9) the
 * guest exits at once.
 */
export interface GuestProgress {
  readonly kind: 'progress';
  /** Last rcutorture `ver:` (grace periods so far), or null (lock suite / no stats yet). */
  readonly gps: number | null;
  /** Last locktorture `Writes:  Total:`, or null. */
  readonly acquisitions: number | null;
  readonly hotplugOk: number;
  readonly hotplugTried: number;
  /** Console lines console-badness.sh would flag so far. */
  readonly errors: number;
  /**
   * Seconds from the guest process's start to all CPUs up (the torture clock starts then), or
   * null while it still boots. The driver's kill deadline counts from it.
   */
  readonly bootSec: number | null;
}

/**
 * The guest's command line after the spec path, in qemu's words so that kvm.sh's scripts can read
 * `qemu-cmd`: `-smp N [-m SIZE] -append "BOOT LINE"`. The guest checks them against the spec.
 */
export function guestQemuArgs(spec: GuestSpec): string[] {
  return ['-smp', String(spec.nrCpus), ...(spec.memoryMb !== undefined ? ['-m', `${spec.memoryMb}M`] : []), '-append', spec.bootLine];
}

/** V8 old-space limit (MB) of each of the guest's heaps under a cap: the cap over nrCpus + 1. */
export function heapShareMb(memoryMb: number, nrCpus: number): number {
  return Math.max(MIN_HEAP_SHARE_MB, Math.floor(memoryMb / (nrCpus + 1)));
}

/** V8 will not run an isolate with much less old space than this. */
export const MIN_HEAP_SHARE_MB = 8;
