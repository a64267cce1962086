/*
 * Worker for doorbell.test.ts: one side of the doorbell's flag rule, on a real thread. The two
 * sides meet at shared-memory points, round by round: the owner reads its doorbell, publishes
 * the round, then idles (halts, or polls then halts, as CpuRuntime's idle loop does); the ringer
 * waits for the round, lets a varying time pass (so that its ring lands before the owner's flag,
 * between the flag and the wait, during the wait, or during a poll), then rings.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { HaltPoll, type HaltPollParams } from '../cpuidle_haltpoll.js';
import { doorbellHalt, ringCpu, ringStats } from '../doorbell.js';
import { CPU_DOORBELL, cpuWord } from '../../shm/layout.js';

interface Data {
  readonly sab: SharedArrayBuffer;
  readonly role: 'owner' | 'ringer';
  readonly rounds: number;
  /** Owner: poll before halting with this window (ns), 0 for halts only. */
  readonly pollNs: number;
  /** Word of the round the owner is in (published after it read its doorbell). */
  readonly roundWord: number;
}

const d = workerData as Data;
const i32 = new Int32Array(d.sab);
const bell = cpuWord(0, CPU_DOORBELL);

function spinUs(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

if (d.role === 'owner') {
  const params: HaltPollParams = { pollNs: d.pollNs, shrink: 2, grow: 2, growStart: d.pollNs, allowShrink: false, maxPolling: 1 };
  const hp = new HaltPoll(params);
  hp.pollLimitNs = d.pollNs;
  const results = { rung: 0, ok: 0, 'not-equal': 0, 'timed-out': 0, polled: 0 };
  for (let r = 1; r <= d.rounds; r++) {
    const seen = Atomics.load(i32, bell);
    Atomics.store(i32, d.roundWord, r);
    Atomics.notify(i32, d.roundWord); // pairs with the ringer's Atomics.wait on the round word
    if (d.pollNs > 0 && hp.pollIdle(i32, bell, seen, 10_000) === true) {
      results.polled++;
      continue;
    }
    // A lost wake-up is a 10 s timeout here, and the test fails on it.
    results[doorbellHalt(i32, 0, seen, 10_000)]++;
  }
  parentPort?.postMessage({ results, stats: hp.stats });
} else {
  for (let r = 1; r <= d.rounds; r++) {
    while (Atomics.load(i32, d.roundWord) < r) Atomics.wait(i32, d.roundWord, r - 1, 1000);
    // Four landing zones in turn: at once, after a short spin, after a long one, after a sleep.
    const zone = r % 4;
    if (zone === 1) spinUs(5);
    else if (zone === 2) spinUs(300);
    else if (zone === 3) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    ringCpu(i32, 0);
  }
  parentPort?.postMessage({ stats: { ...ringStats } });
}
