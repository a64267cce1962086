/*
 * Test kernel for the hotplug safe point: tasks on CPU 1 hold a sleeping mutex across sleeps,
 * or sit in an RCU reader across preemption points, while CPU 0 offlines and onlines CPU 1 in a
 * loop. After every completed offline, CPU 1 must hold no lock and be in no reader.
 */

import { kapi } from '../../kapi.js';
import { add_cpu, remove_cpu } from '../../../kernels/cpu/hotplug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../../../kernels/locking/mutex.js';

const CYCLES = 30;

export function boot(cpu: number): void {
  const reg = kapi.shmAlloc('hotplug_safe', 16);
  const i32 = kapi.shm;
  const HOLDING = reg.base;
  const IN_READER = reg.base + 1;
  const STOP = reg.base + 2;
  const m = DEFINE_MUTEX('hotplug_safe_mutex');
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(i32, STOP) === 0) {
        await mutex_lock(m);
        Atomics.store(i32, HOLDING, 1);
        await kapi.scheduleTimeout(1);
        Atomics.store(i32, HOLDING, 0);
        mutex_unlock(m);
        await kapi.schedule();
      }
    }, 'holder');
    kapi.kthreadRun(async () => {
      while (Atomics.load(i32, STOP) === 0) {
        kapi.rcuReadDepthAdd(1);
        Atomics.store(i32, IN_READER, 1);
        for (let k = 0; k < 50; k++) {
          const p = kapi.preemptPoint();
          if (p) await p;
        }
        Atomics.store(i32, IN_READER, 0);
        kapi.rcuReadDepthAdd(-1);
        await kapi.schedule();
      }
    }, 'reader');
  }
  if (cpu === 0) {
    kapi.kthreadRun(async () => {
      let offlines = 0;
      let violations = 0;
      for (let c = 0; c < CYCLES; c++) {
        if ((await remove_cpu(1)) === 0) {
          offlines++;
          if (Atomics.load(i32, HOLDING) !== 0 || Atomics.load(i32, IN_READER) !== 0) violations++;
          if (kapi.cpuOnline(1)) violations++;
        }
        await kapi.scheduleTimeout(1);
        if ((await add_cpu(1)) !== 0) violations++;
        await kapi.scheduleTimeout(1);
      }
      Atomics.store(i32, STOP, 1);
      kapi.printk(`hotplug_safe: offlines=${offlines} violations=${violations} online=${kapi.cpuOnline(1)}`);
      kapi.powerOff();
    }, 'onoff');
  }
}
