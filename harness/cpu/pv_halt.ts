/*
 * The paravirt spinlock halt of a CPU (the kernel's pv_wait()/pv_kick(), kvm_wait() and
 * kvm_kick_cpu()): a CPU waiting for a spinlock halts on its CPU_PV_KICK word until a kick, and
 * shows where it halts (CPU_PV_WAIT_ADDR, CPU_PV_WAIT_SINCE) to the hang detector. Its own module
 * because the kick word protocol is one pairing, read and written here only.
 */

import { CPU_PV_KICK, CPU_PV_WAIT_ADDR, CPU_PV_WAIT_SINCE, HDR_MUST_STOP, cpuWord } from '../shm/layout.js';
import { takeForwarded } from './doorbell.js';
import type { Executor } from './executor.js';

/** A halted CPU looks up every this often, only to notice power-off (it never re-checks the lock). */
const PV_WAIT_SLICE_MS = 500;

/** pvKickSeq(): the held CPU's kick count, read before the waiter publishes itself to its kickers. */
export function pvKickSeq(rt: Executor): number {
  return Atomics.load(rt.i32, cpuWord(rt.cpu, CPU_PV_KICK));
}

/** pv_wait(): halt the held CPU while a[index] is `value` and no kick came after `seen`. */
export function pvWait(rt: Executor, a: Int32Array, index: number, value: number, seen: number): void {
  const i32 = rt.i32;
  // This CPU halts (a spinlock is held with preemption off: no switch, so rt.cpu is stable).
  const cpu = rt.cpu;
  const kick = cpuWord(cpu, CPU_PV_KICK);
  // The kick count was read (pvKickSeq()) before the waiter published itself in the lock's
  // halted mask, then comes the lock word: pairs with the unlocker's exchange of the word, of
  // the mask, then pvKick()'s Atomics.add. A kick after the publication ends the wait at once.
  if (Atomics.load(a, index) !== value) return;
  Atomics.store(i32, cpuWord(cpu, CPU_PV_WAIT_SINCE), rt.jiffies());
  Atomics.store(i32, cpuWord(cpu, CPU_PV_WAIT_ADDR), index * 4 + 1);
  // Notifies a waker left us go out before we halt (doorbell.ts, notifyBurst()).
  takeForwarded(i32, rt.id);
  while (Atomics.load(i32, kick) === seen && Atomics.load(i32, HDR_MUST_STOP) === 0) {
    Atomics.wait(i32, kick, seen, PV_WAIT_SLICE_MS); // pairs with Atomics.add + notify in pvKick()
  }
  Atomics.store(i32, cpuWord(cpu, CPU_PV_WAIT_ADDR), 0);
}

/** pv_kick(cpu): end `cpu`'s halt. */
export function pvKick(i32: Int32Array, cpu: number): void {
  const kick = cpuWord(cpu, CPU_PV_KICK);
  Atomics.add(i32, kick, 1);
  Atomics.notify(i32, kick); // pairs with the Atomics.wait in pvWait()
}
