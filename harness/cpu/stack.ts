/*
 * Kernel-style stack traces for the CPU runtime (Oops, WARN, scheduling bugs). One parser serves
 * the whole harness: lockdep's (harness/lockdep/stack.ts), which keeps kernels/, harness/torture/
 * and user frames and leaves out the machinery and Node itself, so a trace reads like the kernel's
 * call chain (cpu_down -> _cpu_down -> ...). Positions are TS positions: a CPU worker maps its
 * stacks through the source maps, each read at its first use (lazy_source_maps.ts).
 */

export { captureStack as captureKernelStack, framesFromStack as kernelFrames } from '../lockdep/stack.js';
