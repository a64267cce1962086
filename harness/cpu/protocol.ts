/*
 * Messages between a guest's main thread (the "machine") and its CPU workers. postMessage is for
 * start-up, console output and reporting only; coordination on the hot path (wake-ups, hotplug
 * commands, shutdown) goes through shared-memory words (harness/shm/layout.ts).
 */

/**
 * What a CPU needs of its guest's configuration (the guest's GuestSpec is a superset; the rest of
 * it is the driver's business, not the CPU's).
 */
export interface CpuMachineSpec {
  /** Merged Kconfig, `CONFIG_X` -> value. */
  readonly kconfig: Readonly<Record<string, string>>;
  /** Merged boot parameters, `module.param` -> value. */
  readonly bootParams: Readonly<Record<string, string>>;
  readonly nrCpus: number;
}

/** workerData of a CPU worker. */
export interface CpuStart {
  readonly kind: 'start';
  readonly cpu: number;
  readonly sab: SharedArrayBuffer;
  readonly heapBase: number;
  readonly heapEnd: number;
  readonly lockdepBase: number;
  readonly spec: CpuMachineSpec;
  /** Module URLs to import and boot(), in order. */
  readonly modules: readonly string[];
  /** Whether to load the CPU bundle (the guest's cpu_bundle_check.ts verdict), else ES modules. */
  readonly bundle: boolean;
  /** V8's code cache of the CPU bundle from an earlier guest, if any (cpu_bundle.ts). */
  readonly codeCache?: Uint8Array;
  /** Whether CPU 0 makes a code cache when it had no good one (false: the guest cannot write it). */
  readonly makeCodeCache: boolean;
}

export type FromCpu =
  | { readonly kind: 'printk'; readonly cpu: number; readonly lines: readonly string[] }
  | { readonly kind: 'oops'; readonly cpu: number; readonly reason: string; readonly fatal: boolean }
  | { readonly kind: 'failure'; readonly cpu: number; readonly reason: string }
  | { readonly kind: 'poweroff'; readonly cpu: number }
  /** khungtaskd on this CPU printed a hung-task report: the guest ends (hung_task_panic). */
  | { readonly kind: 'hung'; readonly cpu: number; readonly summary: string }
  | { readonly kind: 'boot-error'; readonly cpu: number; readonly reason: string }
  /** CPU 0 after its boot: how the CPU's code loaded, and a code cache it made for later guests (code_cache.ts). */
  | { readonly kind: 'cpu-image'; readonly cpu: number; readonly image: CpuImage; readonly data?: Uint8Array };

/**
 * How a guest's CPUs loaded their code (guest-result.json `cpuImage`): `bundle` (cpu_bundle.ts)
 * or `modules` (ES modules: a guest with test-only modules, or a tree built without the bundle),
 * and the bundle's code cache: `used`, `made` (none or a stale one was given), or `none`.
 */
export interface CpuImage {
  readonly image: 'bundle' | 'modules';
  readonly cache: 'used' | 'made' | 'none';
}

export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}
