/*
 * Worker of wait_watchdog.test.ts: a program that blocks by its own means (a bare
 * SharedArrayBuffer mutex, Atomics.wait with no timeout) and says so with torture/lockdep's
 * annotations: acquire() before taking a lock, waiting() before blocking, woken() after. It never
 * wakes by itself: only a watchdog in another thread can report it.
 */

import { workerData } from 'node:worker_threads';
import { attachLockdep } from '../user_api.js';

const d = workerData as { buf: SharedArrayBuffer; locks: SharedArrayBuffer; role: number; scenario: 'deadlock' | 'hung'; name: string };
const ld = attachLockdep(d.buf, { name: d.name, continueAfterReport: true, onReport: () => {} });
const i32 = new Int32Array(d.locks);
const A = ld.lockClass('lock_a');
const B = ld.lockClass('lock_b');
const READY = ld.lockClass('data_ready');
const MET = 8;

function sab_mutex_lock(cls: typeof A, idx: number): void {
  ld.acquire(cls, { instance: idx + 1 });
  if (Atomics.compareExchange(i32, idx, 0, 1) === 0) return;
  ld.waiting(cls, { instance: idx + 1 });
  // Partner: the holder's store of 0 and notify (never, here: the holder waits for us).
  while (Atomics.compareExchange(i32, idx, 0, 1) !== 0) Atomics.wait(i32, idx, 1);
  ld.woken();
}

function meet(): void {
  Atomics.add(i32, MET, 1);
  Atomics.notify(i32, MET);
  for (let v = Atomics.load(i32, MET); v < 2; v = Atomics.load(i32, MET)) Atomics.wait(i32, MET, v);
}

function take_a_then_b(): void {
  sab_mutex_lock(A, 0);
  meet();
  sab_mutex_lock(B, 1);
}

function take_b_then_a(): void {
  sab_mutex_lock(B, 1);
  meet();
  sab_mutex_lock(A, 0);
}

function wait_for_data(): void {
  ld.waiting(READY, { instance: 3, event: true });
  Atomics.wait(i32, 4, 0); // nobody ever stores or notifies word 4: a lost wake-up
  ld.woken();
}

if (d.scenario === 'hung') wait_for_data();
else if (d.role === 0) take_a_then_b();
else take_b_then_a();
