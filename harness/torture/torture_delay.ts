/*
 * The torture modules' delays and `torture.time_scale=N` (ours; configs/lock/README.md, "Time
 * scale"): locktorture's hold delays (long_hold and each type's write/read delay) and
 * rcutorture's reader and writer delays last 1/N of the kernel's, their ratios and their odds
 * kept. What is not scaled (the tick and every timeout on it, the test's schedule, the kernel
 * model's own timings) and why is in that README.
 */

import { HZ, kapi } from '../kapi.js';
import { torture_params } from './common.js';

const time_scale = torture_params.param('uint', 'time_scale', 1, 'Divide the torture hold and busy-wait delays by N', { min: 1 });

/** torture.time_scale, read on this CPU at its first delay (the module has booted by then). */
let timeScale = 0;

/** torture.time_scale: the divisor of every torture delay below (1: the kernel's durations). */
export function torture_time_scale(): number {
  if (timeScale === 0) timeScale = time_scale.get();
  return timeScale;
}

/**
 * udelay(us) of a torture module, shortened by torture.time_scale: a busy-wait inside the task
 * (kapi.udelay: interrupts taken; with PREEMPT=y, where preemptible, the promise to await).
 */
export function torture_udelay(us: number): Promise<void> | null {
  return kapi.udelay(us / torture_time_scale());
}

/** mdelay(ms) of a torture module, shortened by torture.time_scale. */
export function torture_mdelay(ms: number): Promise<void> | null {
  return kapi.udelay((ms * 1000) / torture_time_scale());
}

/** How a hold delay of `ms` runs under time scale `scale`: whole jiffies asleep, or a busy-wait in µs. */
export type TortureDelayPlan = { readonly sleepJ: number } | { readonly spinUs: number };

/**
 * torture_hold_delay()'s plan (pure): `ms / scale`, slept in whole jiffies (rounded) when it is a
 * jiffy or more, else busy-waited, since no sleep is shorter than a jiffy. Scale 1 sleeps `ms`
 * jiffies (HZ=1000), as the model always has.
 */
export function torture_delay_plan(ms: number, scale: number): TortureDelayPlan {
  const us = (ms * 1000) / scale;
  const jiffyUs = 1_000_000 / HZ;
  return us >= jiffyUs ? { sleepJ: Math.round(us / jiffyUs) } : { spinUs: us };
}

/**
 * A hold delay that the model sleeps where the kernel busy-waits (locktorture's sleeping locks:
 * lock_torture.ts's departures), shortened by torture.time_scale (torture_delay_plan()): a scaled
 * delay under a jiffy busy-waits as the kernel's mdelay() does, so the ratios of the delays stay
 * the kernel's. Unscaled (N = 1) it is the sleep it always was.
 */
export async function torture_hold_delay(ms: number): Promise<void> {
  if (ms <= 0) return;
  const plan = torture_delay_plan(ms, torture_time_scale());
  if ('sleepJ' in plan) {
    await kapi.scheduleTimeout(plan.sleepJ);
    return;
  }
  const p = kapi.udelay(plan.spinUs);
  if (p !== null) await p;
}
