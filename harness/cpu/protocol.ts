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
  /** V8's code cache of the CPU bundle from an earlier guest, if any (cpu_bundle.ts). */
  readonly codeCache?: Uint8Array;
}

export type FromCpu =
  | { readonly kind: 'printk'; readonly cpu: number; readonly lines: readonly string[] }
  | { readonly kind: 'oops'; readonly cpu: number; readonly reason: string; readonly fatal: boolean }
  | { readonly kind: 'failure'; readonly cpu: number; readonly reason: string }
  | { readonly kind: 'poweroff'; readonly cpu: number }
  /** khungtaskd on this CPU printed a hung-task report: the guest ends (hung_task_panic). */
  | { readonly kind: 'hung'; readonly cpu: number; readonly summary: string }
  | { readonly kind: 'boot-error'; readonly cpu: number; readonly reason: string }
  /** CPU 0 of a guest started without a valid code cache of the CPU bundle made one (code_cache.ts). */
  | { readonly kind: 'code-cache'; readonly cpu: number; readonly data: Uint8Array };

export function assertNever(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}
