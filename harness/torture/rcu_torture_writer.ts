/*
 * rcu_torture_writer() and rcu_torture_fakewriter() (kernel/rcu/rcutorture.c): the writer
 * publishes a new element and ages the one it replaced through one of the update-side
 * primitives (rcu_torture_state.ts has the pipe); the fake writers only wait for grace periods,
 * to load the update side.
 */

import { kapi } from '../kapi.js';
import { stutter_wait, torture_kthread_stopping, torture_must_stop, torture_random, torture_random_state, VERBOSE_TOROUT_STRING } from './common.js';
import type { TortureRandomState } from './torture_random.js';
import { torture_udelay } from './torture_delay.js';
import { kmem_cache_alloc } from '../../kernels/mm/slab_common.js';
import { rcu_dereference_check } from '../../kernels/rcu/rcupdate_lockdep.js';
import {
  E_MBTEST,
  E_PAYLOAD,
  E_PIPE,
  ew,
  op,
  payloadCache,
  RCU_TORTURE_PIPE_LEN,
  rcu_torture_alloc,
  rcu_torture_create_caches,
  rcu_torture_pipe_update,
  setWriterState,
  sw,
  T_CURRENT,
  T_VERSION,
  T_WCOUNT,
  tt,
  type SyncType,
} from './rcu_torture_state.js';

/* ---------------- writer ---------------- */

/**
 * Ticks for 6.12's torture_hrtimeout_jiffies(torture_random(&rand) % 16, &rand), the sleep of the
 * cond_synchronize and poll paths: j jiffies plus a fuzz under one, so j <= sleep < j + 1. Our
 * sleeps are tick timers: n ticks end at the n-th tick from now, after (n - 1, n] jiffies. So
 * j + 1 ticks, (j, j + 1], is the kernel's span; j ticks would be a jiffy short. Two draws, as
 * the kernel's: the base, then the fuzz.
 */
export function rcu_torture_gp_wait_ticks(rand: TortureRandomState): number {
  const j = torture_random(rand) % 16;
  // torture_hrtimeout_ns()'s fuzz draw: the tick timer has no sub-jiffy part to spend it on, but
  // the draw is kept so the writer's random stream advances as the kernel's (as the reader's does).
  torture_random(rand);
  return 1 + j;
}

/** writer_task, by pid: the writer runs on this thread (a task stays with its executor). */
let writer_task = -1;

/** The writer's rcu_dereference_check() condition: `current == writer_task`. */
function current_is_writer_task(): boolean {
  return kapi.inTask() && kapi.current().pid === writer_task;
}

export async function rcu_torture_writer(): Promise<void> {
  const t = tt();
  const i32 = kapi.shm;
  const rand = torture_random_state();
  VERBOSE_TOROUT_STRING('rcu_torture_writer task started');
  writer_task = kapi.current().pid;
  if (t.synctypes.length === 0) {
    VERBOSE_TOROUT_STRING('rcu_torture_writer: No update-side primitives.');
  }
  await rcu_torture_create_caches();
  do {
    setWriterState('RTWS_FIXED_DELAY');
    await kapi.scheduleTimeout(1);
    const rp = rcu_torture_alloc();
    if (rp < 0) continue;
    Atomics.store(i32, ew(rp, E_PIPE), 0);
    // The payload, from this CPU's slab of rcu_torture_payload, names its element.
    const pc = payloadCache();
    const pl = pc === null ? 0 : kmem_cache_alloc(pc);
    if (pl !== 0) Atomics.store(i32, pl / 4, rp);
    Atomics.store(i32, ew(rp, E_PAYLOAD), pl);
    setWriterState('RTWS_DELAY');
    // 6.12's udelay(torture_random(&rand) & 0x3ff): up to a millisecond's busy-wait before the
    // element is published (shortened by torture.time_scale as the readers' delays are).
    const d = torture_udelay(torture_random(rand) & 0x3ff);
    if (d !== null) await d;
    setWriterState('RTWS_REPLACE');
    const old = rcu_dereference_check(Atomics.load(i32, sw(T_CURRENT)), current_is_writer_task);
    Atomics.store(i32, ew(rp, E_MBTEST), 1);
    // rcu_assign_pointer(): the element's fields are stored before it is published; pairs with
    // the Atomics.load of T_CURRENT in rcu_torture_one_read().
    Atomics.store(i32, sw(T_CURRENT), rp);
    if (old >= 0 && t.synctypes.length > 0) {
      let i = Atomics.load(i32, ew(old, E_PIPE));
      if (i > RCU_TORTURE_PIPE_LEN) i = RCU_TORTURE_PIPE_LEN;
      Atomics.add(i32, sw(T_WCOUNT + i), 1);
      Atomics.store(i32, ew(old, E_PIPE), Atomics.load(i32, ew(old, E_PIPE)) + 1);
      const st = t.synctypes[torture_random(rand) % t.synctypes.length] as SyncType;
      switch (st) {
        case 'RTWS_DEF_FREE':
          setWriterState('RTWS_DEF_FREE');
          op('call')(old, t.cb);
          break;
        case 'RTWS_EXP_SYNC':
          setWriterState('RTWS_EXP_SYNC');
          await t.ops.exp_sync();
          rcu_torture_pipe_update(old);
          break;
        case 'RTWS_COND_GET': {
          setWriterState('RTWS_COND_GET');
          const snap = op('get_gp_state')();
          await kapi.scheduleTimeout(rcu_torture_gp_wait_ticks(rand));
          setWriterState('RTWS_COND_SYNC');
          await op('cond_sync')(snap);
          rcu_torture_pipe_update(old);
          break;
        }
        case 'RTWS_POLL_GET': {
          setWriterState('RTWS_POLL_GET');
          const snap = op('start_gp_poll')();
          setWriterState('RTWS_POLL_WAIT');
          // No torture_must_stop() escape here: aging `old` without a full GP would be the very
          // bug the pipe check looks for. GPs keep running during shutdown.
          while (!op('poll_gp_state')(snap)) await kapi.scheduleTimeout(rcu_torture_gp_wait_ticks(rand));
          rcu_torture_pipe_update(old);
          break;
        }
        case 'RTWS_SYNC':
          setWriterState('RTWS_SYNC');
          await t.ops.sync();
          rcu_torture_pipe_update(old);
          break;
      }
    }
    Atomics.add(i32, sw(T_VERSION), 1);
    setWriterState('RTWS_STUTTER');
    await stutter_wait('rcu_torture_writer');
  } while (!torture_must_stop());
  setWriterState('RTWS_STOPPING');
  Atomics.store(i32, sw(T_CURRENT), -1); // Let stats task know that we are done.
  torture_kthread_stopping('rcu_torture_writer');
}

export async function rcu_torture_fakewriter(): Promise<void> {
  const t = tt();
  const rand = torture_random_state();
  VERBOSE_TOROUT_STRING('rcu_torture_fakewriter task started');
  do {
    await kapi.scheduleTimeout(1 + (torture_random(rand) % 10));
    if (t.ops.cb_barrier !== undefined && torture_random(rand) % (t.nrealfakewriters * 8) === 0) {
      await t.ops.cb_barrier();
    } else if (t.synctypes.length > 0) {
      const st = t.synctypes[torture_random(rand) % t.synctypes.length] as SyncType;
      switch (st) {
        case 'RTWS_DEF_FREE':
          break;
        case 'RTWS_EXP_SYNC':
          await t.ops.exp_sync();
          break;
        case 'RTWS_COND_GET': {
          const snap = op('get_gp_state')();
          await kapi.scheduleTimeout(rcu_torture_gp_wait_ticks(rand));
          await op('cond_sync')(snap);
          break;
        }
        case 'RTWS_POLL_GET': {
          const snap = op('start_gp_poll')();
          while (!op('poll_gp_state')(snap) && !torture_must_stop()) await kapi.scheduleTimeout(rcu_torture_gp_wait_ticks(rand));
          break;
        }
        case 'RTWS_SYNC':
          await t.ops.sync();
          break;
      }
    }
    await stutter_wait('rcu_torture_fakewriter');
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_fakewriter');
}
