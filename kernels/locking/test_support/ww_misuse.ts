/*
 * Test kernel: one misuse of the ww_mutex API, chosen by `ww_misuse.case` (CPU 0, one task),
 * each of which DEBUG_WW_MUTEXES (CONFIG_PROVE_LOCKING=y here) reports as 6.12 does, with a
 * `DEBUG_LOCKS_WARN_ON(<condition>)` WARNING (kernels/locking/ww_mutex.test.ts):
 *   1 (`diff_class`)    ww_mutex_lock() with a context of another ww_class
 *   2 (`after_done`)    ww_mutex_lock() after ww_acquire_done()
 *   3 (`unneeded_slow`) ww_mutex_lock_slow() without an -EDEADLK before it
 * Then it cleans up and powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { module_param } from '../../moduleparam.js';
import { DEFINE_WD_CLASS, DEFINE_WW_ACQUIRE_CTX, DEFINE_WW_CLASS, ww_acquire_done, ww_acquire_fini, ww_acquire_init } from '../ww_acquire.js';
import { ww_mutex_init, ww_mutex_lock, ww_mutex_lock_slow, ww_mutex_unlock } from '../ww_mutex.js';

export function boot(cpu: number): void {
  const which = module_param('ww_misuse.case', 'int', 0);
  const cls = DEFINE_WD_CLASS('ww_misuse_class');
  const other = DEFINE_WW_CLASS('ww_misuse_other');
  const o = ww_mutex_init('ww_misuse_o', cls);
  const ctx = DEFINE_WW_ACQUIRE_CTX('ww_misuse_ctx');
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    ww_acquire_init(ctx, which === 1 ? other : cls);
    if (which === 2) ww_acquire_done(ctx);
    if (which === 3) await ww_mutex_lock_slow(o, ctx);
    else await ww_mutex_lock(o, ctx);
    ww_mutex_unlock(o);
    ww_acquire_fini(ctx);
    kapi.printk(`ww_misuse: case ${which} done`);
    kapi.powerOff();
  }, 'ww_misuse');
}
