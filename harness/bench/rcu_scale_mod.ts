/*
 * rcuscale for `torture bench`: a guest module (booted after kernels/cpu/hotplug.js, like the rcu
 * suite) that puts one synchronize_rcu() writer on every CPU, as kernel/rcu/rcuscale.c does with
 * nwriters = nr_cpus and gp_exp = 0, and measures the update side of Tree RCU:
 *
 *   - grace periods per second, from rcu_gp_count() (the gp_seq counter) over CPU 0's window;
 *   - synchronize_rcu() latency (p50, p99) over every call of every writer that started and
 *     ended inside the measurement window [T0, T1).
 *
 * All writers share one window on the guest's jiffies clock: the first writer to start fixes
 * T0 = now + warmup and T1 = T0 + measure in shm (CAS, so exactly one does). Each writer stores
 * its latencies in its own shm slice; when all are done, CPU 0 computes the figures, prints one
 * `rcu_scale: result {json}` console line for harness/bench/rcu_update.ts and powers off.
 *
 * Boot parameters: rcu_scale.warmup_ms (default 200), rcu_scale.measure_ms (default 1000).
 * Does not: model rcuscale's kfree/async (call_rcu) modes or expedited grace periods.
 */

import { kapi, type ShmRegion } from '../kapi.js';
import { module_param } from '../../kernels/moduleparam.js';
import { rcu_flavor_name, rcu_gp_count, rcu_init, synchronize_rcu } from '../../kernels/rcu/rcu.js';

/** Latencies kept per writer; beyond this a writer still counts calls but stops storing. */
const RCU_SCALE_MAX_SAMPLES = 16_384;

const W_T0 = 0; // window start (jiffies + 1, 0 = unset)
const W_T1 = 1;
const W_DONE = 2; // writers finished
const W_DONE_WQ = 3; // CPU 0 sleeps here until W_DONE == nr_cpus
const W_PER_CPU = 16; // per-CPU words: [calls, stored]
const W_SAMPLES_BASE = W_PER_CPU + 32 * 2;

let region: ShmRegion | null = null;

function param(name: string, dflt: number): number {
  const v = module_param(name, 'int', dflt);
  return v > 0 ? v : dflt;
}

function percentile(sorted: Int32Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (b - a) * (pos - lo);
}

async function rcu_scale_writer(): Promise<void> {
  const r = region as ShmRegion;
  const i32 = r.i32;
  const cpu = kapi.smpProcessorId();
  const nr = kapi.nrCpuIds;
  const warmup = param('rcu_scale.warmup_ms', 200);
  const measure = param('rcu_scale.measure_ms', 1000);
  const start = kapi.jiffies() + warmup;
  // Exactly one writer fixes the window; pairs with the Atomics.load of W_T0 by the others.
  if (Atomics.compareExchange(i32, r.base + W_T0, 0, start + 1) === 0) Atomics.store(i32, r.base + W_T1, start + measure + 1);
  const t0j = Atomics.load(i32, r.base + W_T0) - 1;
  let t1j = Atomics.load(i32, r.base + W_T1) - 1;
  while (t1j < 0) t1j = Atomics.load(i32, r.base + W_T1) - 1;
  const mine = r.base + W_SAMPLES_BASE + cpu * RCU_SCALE_MAX_SAMPLES;
  let calls = 0;
  let stored = 0;
  let g0 = -1;
  let g0ns = 0;
  let g1 = -1;
  let g1ns = 0;
  for (;;) {
    const j = kapi.jiffies();
    if (j >= t1j) break;
    const inWindow = j >= t0j;
    if (inWindow && cpu === 0 && g0 < 0) {
      g0 = rcu_gp_count();
      g0ns = kapi.localClockNs();
    }
    const a = kapi.localClockNs();
    await synchronize_rcu();
    const b = kapi.localClockNs();
    if (inWindow && kapi.jiffies() < t1j) {
      calls++;
      if (stored < RCU_SCALE_MAX_SAMPLES) i32[mine + stored++] = Math.min(0x7fffffff, b - a);
      if (cpu === 0) {
        g1 = rcu_gp_count();
        g1ns = b;
      }
    }
  }
  Atomics.store(i32, r.base + W_PER_CPU + cpu * 2, calls);
  Atomics.store(i32, r.base + W_PER_CPU + cpu * 2 + 1, stored);
  Atomics.add(i32, r.base + W_DONE, 1);
  const wq = { i32, index: r.base + W_DONE_WQ };
  kapi.wakeUp(wq); // pairs with CPU 0's waitEvent below
  if (cpu !== 0) return;
  await kapi.waitEvent(wq, () => Atomics.load(i32, r.base + W_DONE) >= nr);
  let total = 0;
  let n = 0;
  for (let c = 0; c < nr; c++) {
    total += Atomics.load(i32, r.base + W_PER_CPU + c * 2);
    n += Atomics.load(i32, r.base + W_PER_CPU + c * 2 + 1);
  }
  const all = new Int32Array(n);
  let k = 0;
  for (let c = 0; c < nr; c++) {
    const s = Atomics.load(i32, r.base + W_PER_CPU + c * 2 + 1);
    const base = r.base + W_SAMPLES_BASE + c * RCU_SCALE_MAX_SAMPLES;
    for (let x = 0; x < s; x++) all[k++] = i32[base + x] ?? 0;
  }
  all.sort();
  const seconds = (g1ns - g0ns) / 1e9;
  const result = {
    flavor: rcu_flavor_name(),
    nrCpus: nr,
    gps: g1 - g0,
    seconds,
    gpsPerSec: seconds > 0 ? (g1 - g0) / seconds : 0,
    calls: total,
    p50Ns: percentile(all, 0.5),
    p99Ns: percentile(all, 0.99),
  };
  kapi.printk(`rcu_scale: result ${JSON.stringify(result)}`);
  kapi.powerOff();
}

export function boot(cpu: number): void {
  rcu_init(cpu);
  region = kapi.shmAlloc('rcu_scale', W_SAMPLES_BASE + 32 * RCU_SCALE_MAX_SAMPLES);
  kapi.kthreadRun(rcu_scale_writer, 'rcu_scale_writer');
}
