import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const worker = new URL('../../dist/harness/cpu/test_support/doorbell_worker.js', import.meta.url);

interface OwnerResult {
  results: { rung: number; ok: number; 'not-equal': number; 'timed-out': number; polled: number };
  stats: { pollHits: number; pollMisses: number; halts: number; capped: number };
}
interface RingerResult {
  stats: { notified: number; silent: number };
}

function start<T>(data: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(worker, { workerData: data });
    let result: T | null = null;
    w.on('message', (m: T) => (result = m));
    w.on('error', reject);
    w.on('exit', () => (result === null ? reject(new Error('worker ended without a result')) : resolve(result)));
  });
}

async function meet(rounds: number, pollNs: number): Promise<{ owner: OwnerResult; ringer: RingerResult }> {
  const sab = new SharedArrayBuffer(128 * 4);
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
});
