/*
 * The contract between kernels/locking/locks.test.ts and its worker (lock_worker.ts): workerData,
 * the result message, and the test's meeting-point words (each on its own 64-byte line) in the
 * fake guest memory of fake_kapi.ts.
 */

import { FAKE_TEST_BASE, type FakeCounters } from './fake_kapi.js';

export const LOCK_KINDS = ['spinlock', 'mutex', 'rwlock', 'rwsem', 'percpu_rwsem', 'busted'] as const;
export type LockKind = (typeof LOCK_KINDS)[number];

export interface LockWorkerData {
  readonly sab: SharedArrayBuffer;
  readonly cpu: number;
  readonly nrCpus: number;
  readonly scenario: 'exclusion' | 'uncontended' | 'mutex_frozen' | 'rwlock_irq';
  readonly kind: LockKind;
  readonly iters: number;
}

export interface LockWorkerResult {
  readonly cpu: number;
  readonly counters: FakeCounters;
  readonly note: string;
}

/* Test words (FAKE_TEST_BASE + n). */
export const T_BARRIER = FAKE_TEST_BASE + 0;
export const T_COUNTER = FAKE_TEST_BASE + 16;
export const T_VIOLATIONS = FAKE_TEST_BASE + 32;
export const T_WRITE_HELD = FAKE_TEST_BASE + 48;
export const T_READERS = FAKE_TEST_BASE + 64;
export const T_PHASE = FAKE_TEST_BASE + 80;
export const T_ACQUIRED = FAKE_TEST_BASE + 96;

