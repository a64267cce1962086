/*
 * Test kernel for task migration across CPU hotplug (harness/cpu/README.md, "Executors and run
 * tokens"). A `holder` task starting on CPU 1 takes a sleeping mutex there and sleeps holding it;
 * CPU 0 takes CPU 1 offline meanwhile (the dying CPU does not wait for the holder), wakes the
 * holder, which runs on an online CPU and unlocks there. With PREEMPT=y a `reader` sits in an RCU
 * read-side critical section on CPU 1, preempted at every tick, across the same offline. A
 * `bound` task (kthread_bind() to CPU 1) must run only on CPU 1 and never while it is offline.
 * Every check that fails counts a violation; the summary line is what the test reads.
 */

import { kapi, type WaitQueueHead } from '../../kapi.js';
import { add_cpu, remove_cpu } from '../../../kernels/cpu/hotplug.js';
import { DEFINE_MUTEX, mutex_is_locked, mutex_lock, mutex_unlock } from '../../../kernels/locking/mutex.js';
import { module_param } from '../../../kernels/moduleparam.js';

const W_LOCKED = 0;
const W_GO = 1;
const W_UNLOCKED = 2;
const W_IN_READER = 3;
const W_READER_DONE = 4;
const W_VIOLATIONS = 5;
const W_MOVED = 6;
const W_STOP = 7;
const W_WQ = 8;
const W_BOUND_RUNS = 9;
const W_READER_MOVED = 10;
const W_WORDS = 16;

export function boot(cpu: number): void {
  const cycles = module_param('hotplug_migrate.cycles', 'uint', 10);
  const reg = kapi.shmAlloc('hotplug_migrate', W_WORDS);
  const i32 = kapi.shm;
  const w = (k: number): number => reg.base + k;
  const wq: WaitQueueHead = { i32, index: w(W_WQ) };
  const ld = (k: number): number => Atomics.load(i32, w(k));
  // Store, then wake: pairs with the waitEvent condition loads of the other side.
  const set = (k: number, v: number): void => {
    Atomics.store(i32, w(k), v);
    kapi.wakeUp(wq);
  };
  const violation = (what: string): void => {
    Atomics.add(i32, w(W_VIOLATIONS), 1);
    kapi.printk(`hotplug_migrate: violation: ${what}`);
  };
  const m = DEFINE_MUTEX('hotplug_migrate_mutex');
  const preempt = kapi.config.preempt;

  /** Until this task runs on CPU 1 again (its executor goes home once CPU 1 is back and free). */
  const home = async (): Promise<void> => {
    while (kapi.smpProcessorId() !== 1 && ld(W_STOP) === 0) await kapi.scheduleTimeout(1);
  };

  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      for (let c = 1; c <= cycles; c++) {
        await home();
        await mutex_lock(m);
        const on = kapi.smpProcessorId();
        set(W_LOCKED, c);
        await kapi.waitEvent(wq, () => ld(W_GO) >= c);
        const now = kapi.smpProcessorId();
        if (now === on) violation(`holder still on CPU ${on} after it went offline`);
        else Atomics.add(i32, w(W_MOVED), 1);
        if (!kapi.cpuOnline(now)) violation(`holder runs on offline CPU ${now}`);
        if (!mutex_is_locked(m)) violation('mutex lost across the offline');
        mutex_unlock(m);
        kapi.printk(`hotplug_migrate: cycle ${c}: locked on CPU ${on}, unlocked on CPU ${now}`);
        set(W_UNLOCKED, c);
      }
    }, 'holder');
    if (preempt) {
      kapi.kthreadRun(async () => {
        for (let c = 1; c <= cycles; c++) {
          await home();
          kapi.rcuReadDepthAdd(1);
          const on = kapi.smpProcessorId();
          set(W_IN_READER, c);
          // Preemptible reader: spins, preempted at every tick, never sleeps.
          while (ld(W_GO) < c) {
            const p = kapi.preemptPoint();
            if (p) await p;
          }
          const now = kapi.smpProcessorId();
          if (kapi.rcuReadDepth() !== 1) violation('reader lost its nesting');
          if (now !== on) Atomics.add(i32, w(W_READER_MOVED), 1);
          kapi.rcuReadDepthAdd(-1);
          set(W_READER_DONE, c);
        }
      }, 'reader');
    }
    const b = kapi.kthreadRun(async () => {
      while (ld(W_STOP) === 0) {
        const on = kapi.smpProcessorId();
        if (on !== 1) violation(`bound task ran on CPU ${on}`);
        if (!kapi.cpuOnline(1)) violation('bound task ran while its CPU was offline');
        Atomics.add(i32, w(W_BOUND_RUNS), 1);
        await kapi.scheduleTimeout(1);
      }
    }, 'bound');
    kapi.kthreadBind(b, 1);
  }
  if (cpu === 0) {
    kapi.kthreadRun(async () => {
      let offlines = 0;
      for (let c = 1; c <= cycles; c++) {
        await kapi.waitEvent(wq, () => ld(W_LOCKED) >= c && (!preempt || ld(W_IN_READER) >= c));
        if ((await remove_cpu(1)) === 0) offlines++;
        else violation('remove_cpu(1) failed');
        if (kapi.cpuOnline(1)) violation('CPU 1 still online');
        if (!mutex_is_locked(m)) violation('mutex released before the holder woke');
        set(W_GO, c);
        await kapi.waitEvent(wq, () => ld(W_UNLOCKED) >= c && (!preempt || ld(W_READER_DONE) >= c));
        if ((await add_cpu(1)) !== 0) violation('add_cpu(1) failed');
      }
      Atomics.store(i32, w(W_STOP), 1);
      kapi.wakeUp(wq);
      const boundRan = ld(W_BOUND_RUNS) > 0 ? 'yes' : 'no';
      kapi.printk(
        `hotplug_migrate: offlines=${offlines} moved=${ld(W_MOVED)} reader_moved=${ld(W_READER_MOVED)} ` +
          `bound_ran=${boundRan} violations=${ld(W_VIOLATIONS)} online=${kapi.cpuOnline(1)}`,
      );
      kapi.powerOff();
    }, 'onoff');
  }
}
