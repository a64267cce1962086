/*
 * Worker for doorbell.test.ts's burst case: a waker rings several halting owners at once the way
 * Sleepers.wakeUp() does (every ring, then notifyBurst(): one notify, the rest left to the first
 * owner woken), on real threads. Each owner publishes how many halts it has begun (its round
 * word) after reading its doorbell, then halts; the waker waits until every owner has begun round
 * r, lets a varying time pass, then rings them all. A notify left to an owner that is never made
 * is a 10 s timed-out halt here, and the test fails on it. When the waker is done it sets the done
 * word and rings each owner itself; each owner leaves on it, making the notifies left to it on its
 * way out (an executor's run loop does the same before it stops: CpuRuntime.run()).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { doorbellHalt, notifyBurst, ringCpu, ringNoNotify, ringStats, takeForwarded } from '../doorbell.js';
import { CPU_DOORBELL, cpuWord } from '../../shm/layout.js';

interface Data {
  readonly sab: SharedArrayBuffer;
  readonly role: 'owner' | 'waker';
  /** Owner: its executor id (doorbell and wake forward word). */
  readonly self: number;
  readonly owners: number;
  readonly rounds: number;
  /** Owner e's round word is roundBase + e; the done word is roundBase + owners. */
  readonly roundBase: number;
}

const d = workerData as Data;
const i32 = new Int32Array(d.sab);
const done = d.roundBase + d.owners;

function spinUs(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

if (d.role === 'owner') {
  const results = { rung: 0, ok: 0, 'not-equal': 0, 'timed-out': 0 };
  const bell = cpuWord(d.self, CPU_DOORBELL);
  for (let r = 1; Atomics.load(i32, done) === 0; r++) {
    const seen = Atomics.load(i32, bell);
    Atomics.store(i32, d.roundBase + d.self, r);
    Atomics.notify(i32, d.roundBase + d.self); // pairs with the waker's Atomics.wait on the round word
    results[doorbellHalt(i32, d.self, seen, 10_000)]++;
  }
  takeForwarded(i32, d.self);
  parentPort?.postMessage({ results, stats: { ...ringStats } });
} else {
  for (let r = 1; r <= d.rounds + 1; r++) {
    for (let e = 0; e < d.owners; e++) {
      for (let x; (x = Atomics.load(i32, d.roundBase + e)) < r; ) Atomics.wait(i32, d.roundBase + e, x, 1000);
    }
    // Landing zones in turn: at once, after a short spin, after a long one, after a sleep.
    const zone = r % 4;
    if (zone === 1) spinUs(5);
    else if (zone === 2) spinUs(300);
    else if (zone === 3) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    if (r > d.rounds) {
      // The end: every owner rung and notified by us (one that has left makes no notify).
      Atomics.store(i32, done, 1);
      for (let e = 0; e < d.owners; e++) ringCpu(i32, e);
      break;
    }
    let owed = 0;
    for (let e = 0; e < d.owners; e++) if (ringNoNotify(i32, e)) owed |= 1 << e;
    if (owed !== 0) notifyBurst(i32, 0, owed);
  }
  parentPort?.postMessage({ stats: { ...ringStats } });
}
