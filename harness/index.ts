/*
 * The package's public entry (`import ... from 'torture'`). The command line is `torture`; this
 * is for programs that want pieces of the harness:
 *  - lockdep for your own worker-thread program (also `torture/lockdep`);
 *  - running one guest programmatically, as the driver does;
 *  - real CPUs (scheduler + kapi) on your own worker threads, for testing kernel-style code.
 */

export { attachLockdep, createLockdepBuffer, UserLockdep } from './lockdep/user_api.js';
export type { LockdepReport } from './lockdep/user_api.js';
export { checkTrace } from './lockdep/trace/trace_check.js';
export { distModuleUrl, runGuest, type GuestRun, type RunGuestOptions } from './guest/run_guest.js';
export type { GuestSpec, GuestResult } from './guest/guest_spec.js';
export { attachCpu, createMachine, type StandaloneCpu } from './cpu/standalone.js';
export { TortureError, isTortureError, type TortureErrorCode } from './errors.js';
