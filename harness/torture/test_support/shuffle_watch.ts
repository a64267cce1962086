/*
 * Test kernel for torture_shuffle (harness/torture/common.ts): NTASKS torture kthreads start on
 * CPUs 1.. and wake every jiffy; the shuffler idles one CPU after the other every
 * shuffle_watch.interval jiffies. Each task records the CPUs it ran on and counts the wake-ups it
 * found itself on the shuffle-idle CPU although the idle CPU had not changed since it went to
 * sleep (so the executor chose its CPU under that exclusion): that is a violation. At the end,
 * one line per task with its CPU history, then the summary the test reads.
 */

import { kapi } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';
import { torture_create_kthread, torture_init_begin, torture_must_stop, torture_shuffle_idle_cpu, torture_shuffle_init } from '../common.js';

const NTASKS = 3;
const MAX_HISTORY = 12;

export function boot(cpu: number): void {
  const intervalJ = module_param('shuffle_watch.interval', 'uint', 50);
  const runJ = module_param('shuffle_watch.run_jiffies', 'uint', 1500);
  torture_init_begin('shuffle_watch', 1);
  const reg = kapi.shmAlloc('shuffle_watch', 16 + NTASKS * 4);
  const i32 = kapi.shm;
  const W_STOP = reg.base;
  const W_DONE = reg.base + 1;
  const W_SAMPLES = reg.base + 2;
  const tw = (k: number, w: number): number => reg.base + 16 + k * 4 + w;
  const T_MIGRATIONS = 0;
  const T_ON_IDLE = 1;
  const T_SAMPLES = 2;
  const lines: string[] = [];

  for (let k = 0; k < NTASKS; k++) {
    if (cpu !== 1 + (k % Math.max(1, kapi.nrCpuIds - 1))) continue;
    torture_create_kthread(async () => {
      const history: number[] = [kapi.smpProcessorId()];
      let last = kapi.smpProcessorId();
      while (Atomics.load(i32, W_STOP) === 0 && !torture_must_stop()) {
        const idleBefore = torture_shuffle_idle_cpu();
        await kapi.scheduleTimeout(1);
        const now = kapi.smpProcessorId();
        if (now === torture_shuffle_idle_cpu() && idleBefore === now) Atomics.add(i32, tw(k, T_ON_IDLE), 1);
        Atomics.add(i32, tw(k, T_SAMPLES), 1);
        Atomics.add(i32, W_SAMPLES, 1);
        if (now !== last) {
          Atomics.add(i32, tw(k, T_MIGRATIONS), 1);
          if (history.length < MAX_HISTORY) history.push(now);
          last = now;
        }
      }
      lines.push(`shuffle_watch: task ${k}: cpus ${history.join('>')} migrations ${Atomics.load(i32, tw(k, T_MIGRATIONS))} on_idle ${Atomics.load(i32, tw(k, T_ON_IDLE))}`);
      kapi.printk(lines[lines.length - 1] ?? '');
      Atomics.add(i32, W_DONE, 1);
      kapi.wakeUp({ i32, index: W_DONE });
    }, 'shuffle_watch');
  }
  // The shuffler: on CPU 0, which it idles too (its own kthread moves).
  if (cpu === 0) torture_shuffle_init(intervalJ);
  if (cpu === 0) {
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(runJ);
      Atomics.store(i32, W_STOP, 1);
      await kapi.waitEvent({ i32, index: W_DONE }, () => Atomics.load(i32, W_DONE) >= NTASKS);
      let moved = 0;
      let onIdle = 0;
      let lazy = 0;
      for (let k = 0; k < NTASKS; k++) {
        if (Atomics.load(i32, tw(k, T_MIGRATIONS)) > 0) moved++;
        onIdle += Atomics.load(i32, tw(k, T_ON_IDLE));
        if (Atomics.load(i32, tw(k, T_SAMPLES)) === 0) lazy++;
      }
      kapi.printk(`shuffle_watch: tasks=${NTASKS} moved=${moved} on_idle=${onIdle} silent=${lazy} samples=${Atomics.load(i32, W_SAMPLES) > 0 ? 'yes' : 'no'}`);
      kapi.powerOff();
    }, 'shuffle_ctl');
  }
}
