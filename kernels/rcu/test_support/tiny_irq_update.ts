/*
 * Test guest module (1 CPU, CONFIG_SMP=n, PREEMPT_NONE: Tiny RCU): the one way a callback can run
 * too early on such a kernel. A task reader holds an object inside rcu_read_lock() and spins in
 * mdelay(), taking interrupts; a timer handler (softirq context) meanwhile replaces the object
 * and frees the old one through call_rcu(), which poisons it. Tiny RCU waits for the next context
 * switch, after the reader unlocks; with `rcutiny.test_early_cb=1` (every tick a quiescent state)
 * the callback runs at the next tick's irq exit, inside the reader, which then sees the poison.
 * Prints `tiny-irq-update: OK ...` or `tiny-irq-update: FAIL: ...` and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { rcu_callback } from '../rcu_callback.js';
import { call_rcu, rcu_impl, rcu_init, rcu_read_lock, rcu_read_unlock } from '../rcu.js';

const ALIVE = 0x600d;
const POISON = 0x6b6b;
/** Words: the published object's index, the timer's count, then the objects' stamps. */
const W_PTR = 0;
const W_FIRED = 1;
const W_FREED = 2;
const W_OBJ = 4;
const N_OBJ = 8;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const r = kapi.shmAlloc('tiny_irq_update', W_OBJ + N_OBJ);
  const i32 = kapi.shm;
  const w = (k: number): number => r.base + k;
  const free_obj = rcu_callback('tiny_irq_update.free_obj', (obj: number) => {
    Atomics.store(i32, w(W_OBJ + obj), POISON);
    Atomics.add(i32, w(W_FREED), 1);
  });
  if (cpu !== 0) return;
  const timer = kapi.timerSetup(() => {
    // The updater, in an interrupt handler: publish a new object, free the old one after a GP.
    const old = Atomics.load(i32, w(W_PTR));
    const next = (old + 1) % N_OBJ;
    Atomics.store(i32, w(W_OBJ + next), ALIVE);
    Atomics.store(i32, w(W_PTR), next);
    Atomics.add(i32, w(W_FIRED), 1);
    call_rcu(old, free_obj);
  });
  kapi.kthreadRun(async () => {
    Atomics.store(i32, w(W_OBJ), ALIVE);
    let bad = 0;
    let rounds = 0;
    for (; rounds < 20 && bad === 0; rounds++) {
      await kapi.scheduleTimeout(2);
      rcu_read_lock();
      const p = Atomics.load(i32, w(W_PTR));
      kapi.modTimer(timer, kapi.jiffies() + 2);
      // 20 ms inside the reader: the timer fires and, a tick or more later, a broken RCU frees p.
      kapi.mdelay(20);
      if (Atomics.load(i32, w(W_OBJ + p)) !== ALIVE) bad++;
      rcu_read_unlock();
    }
    const facts = `rcu=${rcu_impl ?? 'none'} rounds=${rounds} timers=${Atomics.load(i32, w(W_FIRED))} freed=${Atomics.load(i32, w(W_FREED))}`;
    kapi.printk(bad === 0 ? `tiny-irq-update: OK ${facts}` : `tiny-irq-update: FAIL: a callback queued by an interrupt handler ran inside the reader it interrupted ${facts}`);
    kapi.powerOff();
  }, 'tiny_irq_update');
}
