import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CPU_DOORBELL, EXEC_WAKE_FWD_BASE, MAX_CPUS, cpuWord, execWakeFwdWord } from '../shm/layout.js';
import { notifyBurst, ringNoNotify, ringStats } from './doorbell.js';

const worker = new URL('../../dist/harness/cpu/test_support/doorbell_worker.js', import.meta.url);
const burstWorker = new URL('../../dist/harness/cpu/test_support/doorbell_burst_worker.js', import.meta.url);

interface OwnerResult {
  results: { rung: number; ok: number; 'not-equal': number; 'timed-out': number; polled: number };
  stats: { pollHits: number; pollMisses: number; halts: number; capped: number };
}
interface RingerResult {
  stats: { notified: number; silent: number; forwarded: number; reclaimed: number };
}
interface BurstOwnerResult {
  results: { rung: number; ok: number; 'not-equal': number; 'timed-out': number };
  stats: { notified: number };
}

function start<T>(data: Record<string, unknown>, file: URL = worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(file, { workerData: data });
    let result: T | null = null;
    w.on('message', (m: T) => (result = m));
    w.on('error', reject);
    w.on('exit', () => (result === null ? reject(new Error('worker ended without a result')) : resolve(result)));
  });
}

async function meet(rounds: number, pollNs: number): Promise<{ owner: OwnerResult; ringer: RingerResult }> {
  // Up to the wake forward plane (doorbellHalt() reads the owner's word there).
  const sab = new SharedArrayBuffer((EXEC_WAKE_FWD_BASE + MAX_CPUS) * 4);
  const common = { sab, rounds, pollNs, roundWord: 8 };
  const [owner, ringer] = await Promise.all([start<OwnerResult>({ ...common, role: 'owner' }), start<RingerResult>({ ...common, role: 'ringer' })]);
  return { owner, ringer };
}

describe('the doorbell: a ringer notifies only an owner asleep on it, and no ring is lost', () => {
  it('halting owner: every round ends by its ring (none by the 10 s timeout); only the rings that found the owner asleep notified', async () => {
    const rounds = 200;
    const { owner, ringer } = await meet(rounds, 0);
    const r = owner.results;
    expect(r['timed-out']).toBe(0);
    expect(r.rung + r.ok + r['not-equal']).toBe(rounds);
    expect(ringer.stats.notified + ringer.stats.silent).toBe(rounds);
    // An owner woken from Atomics.wait ('ok') was woken by a notify: the ring saw its flag.
    expect(ringer.stats.notified).toBeGreaterThanOrEqual(r.ok);
    // The ringer's 2 ms sleeps leave the owner asleep: those rings notify.
    expect(r.ok).toBeGreaterThan(0);
  });

  it('polling owner (poll_idle() on the word): a ring that finds it polling is silent, and nothing is lost', async () => {
    const rounds = 200;
    const { owner, ringer } = await meet(rounds, 1_000_000);
    const r = owner.results;
    expect(r['timed-out']).toBe(0);
    expect(r.polled + r.rung + r.ok + r['not-equal']).toBe(rounds);
    expect(owner.stats.pollHits).toBe(r.polled);
    expect(r.polled).toBeGreaterThan(0);
    // A poll-caught ring cost no notify.
    expect(ringer.stats.silent).toBeGreaterThanOrEqual(r.polled);
    expect(ringer.stats.notified).toBeGreaterThanOrEqual(r.ok);
  });

  it('a burst (wakeUp()): one notify from the waker, the others made by the first owner it woke; none lost', async () => {
    const owners = 3;
    const rounds = 200;
    const sab = new SharedArrayBuffer((EXEC_WAKE_FWD_BASE + MAX_CPUS) * 4);
    const common = { sab, owners, rounds, roundBase: 8 };
    const [waker, ...os] = await Promise.all([
      start<RingerResult>({ ...common, role: 'waker', self: -1 }, burstWorker),
      ...Array.from({ length: owners }, (_, self) => start<BurstOwnerResult>({ ...common, role: 'owner', self }, burstWorker)),
    ]);
    for (const o of os) expect(o.results['timed-out']).toBe(0);
    // At most one notify per burst, plus the last round's own rings, plus those it took back (its
    // notify found the first owner not yet, or no longer, in its wait).
    expect(waker.stats.notified).toBeLessThanOrEqual(rounds + owners + waker.stats.reclaimed);
    // The waker's 2 ms sleeps leave every owner asleep: those bursts leave notifies to the first.
    expect(waker.stats.forwarded).toBeGreaterThan(0);
    expect(waker.stats.reclaimed).toBeLessThan(waker.stats.forwarded);
    // Every notify left to an owner was made once: by it, or by the waker that took it back.
    expect(os.reduce((n, o) => n + o.stats.notified, 0) + waker.stats.reclaimed).toBe(waker.stats.forwarded);
  });
});

describe('a burst whose first owner is already awake', () => {
  it('its halt ended between the ring that took its flag and the mask: the waker makes the left notifies itself', () => {
    // One thread plays both sides in the order of the race, so the interleaving is exact.
    const i32 = new Int32Array(new SharedArrayBuffer((EXEC_WAKE_FWD_BASE + MAX_CPUS) * 4));
    const d = 1;
    const e = 2;
    // Both owners went to sleep: their flag set by their compareExchange (doorbellHalt()).
    for (const o of [d, e]) Atomics.or(i32, cpuWord(o, CPU_DOORBELL), 1);
    // The waker's rings take both flags: both owe a notify.
    expect(ringNoNotify(i32, d)).toBe(true);
    expect(ringNoNotify(i32, e)).toBe(true);
    // d's wait times out now, before the waker's or: its exit flush finds nothing left to it.
    Atomics.and(i32, cpuWord(d, CPU_DOORBELL), ~1);
    expect(Atomics.load(i32, execWakeFwdWord(d))).toBe(0);
    const before = { ...ringStats };
    notifyBurst(i32, 0, (1 << d) | (1 << e));
    // d woke nobody, so the waker took e's notify back from d's word and made it: two notifies,
    // nothing left for a d that may next block where it does not flush.
    expect(ringStats.notified - before.notified).toBe(2);
    expect(ringStats.reclaimed - before.reclaimed).toBe(1);
    expect(Atomics.load(i32, execWakeFwdWord(d))).toBe(0);
  });
});
