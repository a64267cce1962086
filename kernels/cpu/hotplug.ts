/*
 * CPU hotplug (kernel/cpu.c): cpu_hotplug_lock, the cpuhp state machine, cpu_down()/cpu_up().
 *
 * cpu_hotplug_lock is a percpu_rwsem: cpus_read_lock() is its reader fast path, _cpu_down() and
 * _cpu_up() take it for write and run the registered callbacks in state order. States below
 * CPUHP_BRINGUP_CPU are run by the control CPU (their teardown after the target is dead: the
 * `*_DEAD` callbacks such as slub_cpu_dead); states above it are run by the target CPU on itself,
 * synchronously and with irqs off, as it parks or unparks (kapi.parkCpu / kapi.unparkCpu). The
 * target does not wait for its tasks: they migrate to online CPUs with their locks and RCU reader
 * state (harness/cpu/README.md), so the control task may even take down the CPU it runs on.
 *
 * Every CPU registers the same callbacks (each worker loads the same modules), so the control
 * CPU can run the BP ones locally and the target CPU its AP ones. CPU 0 is not hotpluggable.
 * Function names follow the kernel so that lockdep's stacks read like the seed report:
 * torture_onoff -> torture_offline -> remove_cpu -> device_offline -> cpu_down -> _cpu_down ->
 * cpuhp_invoke_callback_range -> cpuhp_invoke_callback -> slub_cpu_dead.
 */

import { COV, covPart, LD_WAIT, kapi, type LockdepMap } from '../../harness/kapi.js';
import { lockdep_assert_held } from '../bug.js';
import { ModuleParams } from '../moduleparam.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../locking/mutex.js';
import { LOCK_TAKEN } from '../locking/fast_path.js';
import {
  DEFINE_STATIC_PERCPU_RWSEM,
  percpu_down_read,
  percpu_down_write,
  percpu_up_read,
  percpu_up_write,
  type PercpuRwsem,
} from '../locking/percpu_rwsem.js';

export const CPUHP_STATES = [
  'CPUHP_OFFLINE',
  'CPUHP_RCUTREE_PREP',
  'CPUHP_SLUB_DEAD',
  'CPUHP_BRINGUP_CPU',
  'CPUHP_AP_OFFLINE',
  'CPUHP_AP_RCUTREE_DYING',
  'CPUHP_AP_ONLINE',
  'CPUHP_AP_ONLINE_DYN',
  'CPUHP_ONLINE',
] as const;
export type CpuhpState = (typeof CPUHP_STATES)[number];

export type CpuhpCallback = ((cpu: number) => void | Promise<void>) | null;

interface CpuhpStep {
  readonly state: CpuhpState;
  readonly name: string;
  readonly startup: CpuhpCallback;
  readonly teardown: CpuhpCallback;
}

export const EBUSY = 16;
export const EINVAL = 22;

const BRINGUP = CPUHP_STATES.indexOf('CPUHP_BRINGUP_CPU');

/**
 * Test-only `cpuhp.test_dead_early=1` (a planted bug, as the kernel's test_* switches): _cpu_down()
 * runs the control CPU's teardown callbacks (slub_cpu_dead, rcutree_dead_cpu) before the target
 * is dead. slub_cpu_dead()'s and rcutree_migrate_callbacks()' assertions must catch it.
 */
let test_dead_early = false;

/** `cpuhp.debug=1`: a cpuhp_enter line for every control-CPU callback (which CPU runs it). */
let cpuhp_debug = false;

export const cpuhp_params = new ModuleParams('cpuhp');
// rcu suite only: locktorture registers no DEAD callback that could notice.
const test_dead_early_decl = cpuhp_params.param('bool', 'test_dead_early', false, 'Run the *_DEAD teardowns before the CPU is dead', { suites: ['rcu'] });
const cpuhp_debug_param = cpuhp_params.param('bool', 'debug', false, 'A cpuhp_enter line per control-CPU hotplug callback');

/** Registered steps, in state order; several may share CPUHP_AP_ONLINE_DYN. */
const cpuhp_steps: CpuhpStep[] = [];

let cpu_hotplug_lock: PercpuRwsem | null = null;
let cpu_add_remove_lock: Mutex | null = null;

function hotplugLock(): PercpuRwsem {
  cpu_hotplug_lock ??= DEFINE_STATIC_PERCPU_RWSEM('cpu_hotplug_lock');
  return cpu_hotplug_lock;
}

/*
 * cpuhp_state_up_map / cpuhp_state_down_map: lockdep maps without a lock (STATIC_LOCKDEP_MAP_INIT
 * "cpuhp_state-up" / "cpuhp_state-down"), acquired and released by the control CPU before it
 * hands a CPU to its hotplug work (cpuhp_kick_ap_work()), so that lockdep sees what the control
 * CPU holds at that point.
 */
let cpuhp_state_up_map: LockdepMap | null = null;
let cpuhp_state_down_map: LockdepMap | null = null;

function cpuhpStateMap(bringup: boolean): LockdepMap {
  if (cpuhp_state_up_map === null || cpuhp_state_down_map === null) {
    const mk = (name: string): LockdepMap => ({ key: kapi.lockClass(name, 'mutex', LD_WAIT.INV), addr: kapi.shmAlloc(name, 1).base * 4, name });
    cpuhp_state_up_map = mk('cpuhp_state-up');
    cpuhp_state_down_map = mk('cpuhp_state-down');
  }
  return bringup ? cpuhp_state_up_map : cpuhp_state_down_map;
}

/** cpuhp_lock_acquire() / cpuhp_lock_release(): lock_map_acquire() on the state map. */
function cpuhp_lock_acquire(bringup: boolean): void {
  kapi.lockdep.acquire(cpuhpStateMap(bringup), 0, false, 0, null);
}

function cpuhp_lock_release(bringup: boolean): void {
  kapi.lockdep.release(cpuhpStateMap(bringup));
}

/** cpuhp_kick_ap_work()'s lockdep part: both maps, down then up, before the AP's work. */
function cpuhp_kick_ap_work_lockdep(): void {
  cpuhp_lock_acquire(false);
  cpuhp_lock_release(false);
  cpuhp_lock_acquire(true);
  cpuhp_lock_release(true);
}

function addRemoveLock(): Mutex {
  cpu_add_remove_lock ??= DEFINE_MUTEX('cpu_add_remove_lock');
  return cpu_add_remove_lock;
}

/* A contended cpus_read_lock()'s async frame, named as the API function (a hung task's trace). */
const contended = {
  async cpus_read_lock(p: Promise<void>): Promise<void> {
    await p;
  },
};

/**
 * cpus_read_lock(): uncontended, percpu_down_read()'s LOCK_TAKEN itself (one await for the caller,
 * no async frame of our own); contended, its promise awaited in a frame named cpus_read_lock.
 */
export function cpus_read_lock(): Promise<void> {
  const p = percpu_down_read(hotplugLock());
  return p === LOCK_TAKEN ? p : contended.cpus_read_lock(p);
}

export function cpus_read_unlock(): void {
  percpu_up_read(hotplugLock());
}

export async function cpus_write_lock(): Promise<void> {
  await percpu_down_write(hotplugLock());
}

export function cpus_write_unlock(): void {
  percpu_up_write(hotplugLock());
}

export function lockdep_assert_cpus_held(): void {
  lockdep_assert_held(hotplugLock().dep_map);
}

export function cpu_online(cpu: number): boolean {
  return kapi.cpuOnline(cpu);
}

export function num_online_cpus(): number {
  return kapi.numOnlineCpus();
}

export function cpu_is_hotpluggable(cpu: number): boolean {
  return cpu > 0 && cpu < kapi.nrCpuIds;
}

/**
 * cpuhp_setup_state_nocalls(): register callbacks for a state without invoking them on the CPUs
 * already online. Call from boot() on every CPU. AP states must have synchronous callbacks.
 */
export function cpuhp_setup_state_nocalls(state: CpuhpState, name: string, startup: CpuhpCallback, teardown: CpuhpCallback): void {
  const idx = CPUHP_STATES.indexOf(state);
  let at = cpuhp_steps.length;
  while (at > 0 && CPUHP_STATES.indexOf((cpuhp_steps[at - 1] as CpuhpStep).state) > idx) at--;
  cpuhp_steps.splice(at, 0, { state, name, startup, teardown });
}

function isApState(s: CpuhpState): boolean {
  return CPUHP_STATES.indexOf(s) > BRINGUP;
}

/** cpuhp_invoke_callback(): one step, one direction. */
async function cpuhp_invoke_callback(cpu: number, step: CpuhpStep, bringup: boolean): Promise<void> {
  const cb = bringup ? step.startup : step.teardown;
  if (cb === null) return;
  covPart(bringup ? COV.cpuhp_startup : COV.cpuhp_teardown, CPUHP_STATES.indexOf(step.state));
  if (cpuhp_debug) {
    // trace_cpuhp_enter() with ftrace's [CPU] column: where this callback (and whatever lock
    // dependencies it records first) runs; tasks migrate, so it is not always the same CPU.
    const who = kapi.inTask() ? `${kapi.current().comm}/${kapi.current().pid}` : 'irq';
    kapi.printk(`cpuhp_enter: [${String(kapi.smpProcessorId()).padStart(3, '0')}] ${who} cpu: ${String(cpu).padStart(4, '0')} target: ${bringup ? 'online' : 'offline'} step: ${step.state} (${step.name})`);
  }
  const r = cb(cpu);
  if (r instanceof Promise) await r;
}

/** cpuhp_invoke_callback_range(): the BP steps between BRINGUP and OFFLINE, in order. */
async function cpuhp_invoke_callback_range(bringup: boolean, cpu: number): Promise<void> {
  const bp = cpuhp_steps.filter((s) => !isApState(s.state));
  const order = bringup ? bp : [...bp].reverse();
  for (const step of order) await cpuhp_invoke_callback(cpu, step, bringup);
}

/** Run on the target CPU itself as it parks: AP teardown callbacks, highest state first. */
function cpuhp_ap_teardown(): void {
  const cpu = kapi.smpProcessorId();
  for (let k = cpuhp_steps.length - 1; k >= 0; k--) {
    const step = cpuhp_steps[k] as CpuhpStep;
    if (!isApState(step.state) || step.teardown === null) continue;
    covPart(COV.cpuhp_teardown, CPUHP_STATES.indexOf(step.state));
    const r = step.teardown(cpu);
    if (r instanceof Promise) throw new Error(`cpuhp: AP teardown ${step.name} must be synchronous`);
  }
}

/** Run on the target CPU itself as it unparks: AP startup callbacks in state order. */
function cpuhp_ap_startup(): void {
  const cpu = kapi.smpProcessorId();
  for (const step of cpuhp_steps) {
    if (!isApState(step.state) || step.startup === null) continue;
    covPart(COV.cpuhp_startup, CPUHP_STATES.indexOf(step.state));
    const r = step.startup(cpu);
    if (r instanceof Promise) throw new Error(`cpuhp: AP startup ${step.name} must be synchronous`);
  }
}

async function cpu_maps_update_begin(): Promise<void> {
  await mutex_lock(addRemoveLock());
}

function cpu_maps_update_done(): void {
  mutex_unlock(addRemoveLock());
}

/** takedown_cpu(): park the target; its AP callbacks run there. */
async function takedown_cpu(cpu: number): Promise<void> {
  covPart(COV.cpuhp_teardown, BRINGUP);
  await kapi.parkCpu(cpu);
}

async function _cpu_down(cpu: number): Promise<number> {
  if (!cpu_is_hotpluggable(cpu)) return -EBUSY;
  if (!cpu_online(cpu)) return -EINVAL;
  if (num_online_cpus() <= 1) return -EBUSY;
  await cpus_write_lock();
  try {
    cpuhp_kick_ap_work_lockdep();
    if (test_dead_early) {
      // Planted bug (cpuhp.test_dead_early=1): the *_DEAD teardowns run while `cpu` still runs.
      await cpuhp_invoke_callback_range(false, cpu);
      await takedown_cpu(cpu);
    } else {
      await takedown_cpu(cpu);
      await cpuhp_invoke_callback_range(false, cpu);
    }
  } finally {
    cpus_write_unlock();
  }
  return 0;
}

async function cpu_down(cpu: number): Promise<number> {
  await cpu_maps_update_begin();
  try {
    return await _cpu_down(cpu);
  } finally {
    cpu_maps_update_done();
  }
}

async function _cpu_up(cpu: number): Promise<number> {
  if (cpu < 0 || cpu >= kapi.nrCpuIds) return -EINVAL;
  if (cpu_online(cpu)) return -EINVAL;
  await cpus_write_lock();
  try {
    await cpuhp_invoke_callback_range(true, cpu);
    cpuhp_kick_ap_work_lockdep();
    covPart(COV.cpuhp_startup, BRINGUP);
    await kapi.unparkCpu(cpu);
  } finally {
    cpus_write_unlock();
  }
  return 0;
}

async function cpu_up(cpu: number): Promise<number> {
  await cpu_maps_update_begin();
  try {
    return await _cpu_up(cpu);
  } finally {
    cpu_maps_update_done();
  }
}

async function device_offline(cpu: number): Promise<number> {
  return await cpu_down(cpu);
}

async function device_online(cpu: number): Promise<number> {
  return await cpu_up(cpu);
}

/** remove_cpu(): take `cpu` offline. 0 on success, -errno otherwise. */
export async function remove_cpu(cpu: number): Promise<number> {
  return await device_offline(cpu);
}

/** add_cpu(): bring `cpu` online. 0 on success, -errno otherwise. */
export async function add_cpu(cpu: number): Promise<number> {
  return await device_online(cpu);
}

/** Guest module entry: the AP halves of the state machine run through the CPU runtime. */
export function boot(_cpu: number): void {
  test_dead_early = test_dead_early_decl.get();
  cpuhp_debug = cpuhp_debug_param.get();
  hotplugLock();
  addRemoveLock();
  cpuhpStateMap(false);
  kapi.registerApCallbacks('cpuhp', cpuhp_ap_teardown, cpuhp_ap_startup);
}
