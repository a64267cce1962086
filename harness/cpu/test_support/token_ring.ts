/*
 * Test kernel: a token passed around every CPU by sleeping tasks (waitEvent/wakeUp across CPUs),
 * plus timer/softirq context checks. CPU 0 powers off when the ring completes. Used by
 * harness/cpu/cpu_runtime.test.ts. `token_ring.rounds=N` (default 200) shortens the ring for a
 * many-CPU guest, where every hop rings every CPU sleeping on the one wait queue.
 */

import { kapi } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';

export function boot(cpu: number): void {
  const ROUNDS = module_param('token_ring.rounds', 'int', 200);
  const n = kapi.nrCpuIds;
  const reg = kapi.shmAlloc('token_ring', 16);
  const i32 = kapi.shm;
  const TOKEN = reg.base;
  const WQ = reg.base + 1;
  const DONE = reg.base + 2;
  const wq = { i32, index: WQ };
  kapi.kthreadRun(async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const want = round * n + cpu;
      await kapi.waitEvent(wq, () => Atomics.load(i32, TOKEN) === want);
      // Pairs with the condition load on the next CPU.
      Atomics.store(i32, TOKEN, want + 1);
      kapi.wakeUp(wq);
    }
    Atomics.add(i32, DONE, 1);
    kapi.wakeUp(wq);
    if (cpu === 0) {
      await kapi.waitEvent(wq, () => Atomics.load(i32, DONE) === n);
      kapi.printk(`token_ring: ${ROUNDS} rounds over ${n} CPUs, token ${Atomics.load(i32, TOKEN)}`);
      kapi.powerOff();
    }
  }, `ring/${cpu}`);
  if (cpu === 1 % n) {
    let fired = 0;
    const t = kapi.timerSetup(() => {
      fired++;
      kapi.printk(`timer: softirq=${kapi.inSoftirq()} hardirq=${kapi.inHardirq()} task=${kapi.inTask()} interrupt=${kapi.inInterrupt()}`);
      if (fired < 2) kapi.modTimer(t, kapi.jiffies() + 5);
    });
    kapi.kthreadRun(async () => {
      kapi.modTimer(t, kapi.jiffies() + 2);
      kapi.localIrqDisable();
      const off = kapi.irqsDisabled();
      kapi.localIrqEnable();
      kapi.localBhDisable();
      const bh = kapi.inInterrupt();
      kapi.localBhEnable();
      kapi.printk(`flags: irqsoff=${off} bh_in_interrupt=${bh} after=${kapi.irqsDisabled()}/${kapi.inInterrupt()}`);
      await kapi.scheduleTimeout(3);
    }, 'flags');
  }
}
