/*
 * Test kernel: one task throws (an Oops), another keeps working and powers off; a third waits
 * for a "lock" nobody will release when `oops_test.hang=1` (the hang detector must explain it).
 */

import { kapi, type LockdepMap, LD_WAIT } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';

function rcu_torture_boom(): never {
  throw new TypeError('boom from a kernel task');
}

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  const hang = module_param('oops_test.hang', 'bool', false);
  kapi.kthreadRun(async () => {
    await kapi.scheduleTimeout(2);
    rcu_torture_boom();
  }, 'oops_task');
  if (hang) {
    const reg = kapi.shmAlloc('lost_lock', 16);
    const key = kapi.lockClass('lost_lock', 'mutex', LD_WAIT.SLEEP);
    const map: LockdepMap = { key, addr: reg.base * 4, name: 'lost_lock' };
    kapi.kthreadRun(async () => {
      kapi.lockdep.acquire(map, 0, false, 0, null);
      // Holds the "lock" while sleeping interruptibly (not a hung task itself).
      await kapi.waitEventInterruptible({ i32: kapi.shm, index: reg.base + 2 }, () => false);
    }, 'holder');
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(5);
      kapi.lockdep.contended(map);
      await kapi.waitEvent({ i32: kapi.shm, index: reg.base + 1 }, () => false);
    }, 'waiter');
    return;
  }
  kapi.kthreadRun(async () => {
    await kapi.scheduleTimeout(20);
    kapi.printk('survivor: still running after the oops');
    kapi.powerOff();
  }, 'survivor');
}
