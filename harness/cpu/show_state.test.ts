import { describe, expect, it } from 'vitest';
import {
  CPU_IDLE,
  CPU_ST,
  CPU_STATE,
  CPU_TOKEN_HOLDER,
  HDR_BOOTED,
  HDR_GO,
  HDR_NEXT_TASK_SLOT,
  HDR_NR_CPUS,
  HDR_ONLINE_MASK,
  TASK_PID,
  TASK_ST,
  TASK_STATE,
  TASK_STOP_WAIT,
  cpuWord,
  guestLayout,
  taskWord,
  writeComm,
} from '../shm/layout.js';
import { showState } from './show_state.js';

// The dump over a guest's shared memory without threads: the boot and idle cases (the deadlock
// and the lost wake-up, with real CPUs, are in harness/run/killed_guest.test.ts).
function guestMemory(nrCpus: number): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(guestLayout(0, nrCpus).totalWords * 4));
  Atomics.store(i32, HDR_NR_CPUS, nrCpus);
  for (let c = 0; c < nrCpus; c++) Atomics.store(i32, cpuWord(c, CPU_STATE), CPU_ST.online);
  return i32;
}

describe('show_state() (sysrq-t) over shared memory', () => {
  it('a guest killed before SMP boot ended says it was still booting', () => {
    const i32 = guestMemory(4);
    Atomics.store(i32, HDR_BOOTED, 3);
    const d = showState(i32, 1500, 'REL');
    expect(d.stuck).toBe('still booting: 3 of 4 CPUs booted');
    expect(d.lines[0]).toBe('sysrq: Show State');
    expect(d.lines.at(-1)).toBe('sysrq: Stuck: still booting: 3 of 4 CPUs booted');
  });

  it('an idle guest has nothing stuck, and its idle CPUs are skipped as the kernel skips them', () => {
    const i32 = guestMemory(2);
    Atomics.store(i32, HDR_BOOTED, 2);
    Atomics.store(i32, HDR_GO, 1);
    Atomics.store(i32, HDR_ONLINE_MASK, 0b11);
    for (let c = 0; c < 2; c++) {
      Atomics.store(i32, cpuWord(c, CPU_IDLE), 1);
      Atomics.store(i32, cpuWord(c, CPU_TOKEN_HOLDER), c + 1);
    }
    const d = showState(i32, 1500, 'REL');
    expect(d.stuck).toBe('no task blocked, no CPU busy');
    expect(d.lines).toContain('Showing all locks held in the system:');
    expect(d.lines).toContain('sysrq: Show backtrace of all active CPUs');
    expect(d.lines.filter((l) => /^NMI backtrace for cpu [01] skipped: idling at /.test(l))).toHaveLength(2);
  });

  it('a task stuck in kthread_stop() names the kthread that does not exit', () => {
    const i32 = guestMemory(2);
    Atomics.store(i32, HDR_BOOTED, 2);
    Atomics.store(i32, HDR_GO, 1);
    Atomics.store(i32, HDR_ONLINE_MASK, 0b11);
    const task = (slot: number, pid: number, comm: string, state: number): void => {
      Atomics.store(i32, taskWord(slot, TASK_PID), pid);
      Atomics.store(i32, taskWord(slot, TASK_STATE), state);
      writeComm(i32, slot, comm);
    };
    task(0, 5, 'torture_shutdow', TASK_ST.blocked);
    task(1, 9, 'stuck_kthread', TASK_ST.sleeping);
    Atomics.store(i32, HDR_NEXT_TASK_SLOT, 2);
    Atomics.store(i32, taskWord(0, TASK_STOP_WAIT), 9);
    const d = showState(i32, 60_000, 'REL');
    expect(d.lines).toContain(' waiting in kthread_stop() for stuck_kthread/9 to exit; it has not:');
    expect(d.lines.some((l) => /^ task:stuck_kthread +state:S /.test(l))).toBe(true);
    expect(d.stuck).toBe('torture_shutdow/5 waits in kthread_stop() for stuck_kthread/9: stuck_kthread/9 asleep since it was told to stop');
  });
});
