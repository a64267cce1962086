import { describe, expect, it } from 'vitest';
import { parseBootWords } from '../config/fragment_parse.js';
import { distModuleUrl } from '../guest/run_guest.js';
import { runTestGuest } from '../test_support/run_until.js';
import { errorOf } from '../test_support/error_of.js';
import { HaltPoll, haltPollParams, type HaltPollParams } from './cpuidle_haltpoll.js';

const KERNEL: HaltPollParams = { pollNs: 200_000, shrink: 2, grow: 2, growStart: 50_000, allowShrink: true, maxPolling: 1 };

describe('haltpoll governor: the poll window adapts per CPU as the kernel adjust_poll_limit() does', () => {
  it('starts at 0 (halt), grows from grow_start by grow after halts it would have caught, up to guest_halt_poll_ns', () => {
    const hp = new HaltPoll(KERNEL);
    expect(hp.pollLimitNs).toBe(0);
    expect(hp.select()).toBe(1);
    hp.halted(30_000);
    expect(hp.pollLimitNs).toBe(50_000);
    expect(hp.select()).toBe(0);
    hp.halted(80_000);
    expect(hp.pollLimitNs).toBe(100_000);
    hp.halted(150_000);
    expect(hp.pollLimitNs).toBe(200_000);
    hp.halted(190_000); // inside the window: a longer poll would not have done better
    expect(hp.pollLimitNs).toBe(200_000);
  });

  it('shrinks by guest_halt_poll_shrink after a halt longer than guest_halt_poll_ns, to 0 below grow_start; not with allow_shrink off', () => {
    const hp = new HaltPoll(KERNEL);
    hp.pollLimitNs = 200_000;
    hp.halted(5_000_000);
    expect(hp.pollLimitNs).toBe(100_000);
    hp.halted(5_000_000);
    expect(hp.pollLimitNs).toBe(50_000);
    hp.halted(5_000_000);
    expect(hp.pollLimitNs).toBe(0);
    const keep = new HaltPoll({ ...KERNEL, allowShrink: false });
    keep.pollLimitNs = 200_000;
    keep.halted(5_000_000);
    expect(keep.pollLimitNs).toBe(200_000);
    const reset = new HaltPoll({ ...KERNEL, shrink: 0 });
    reset.pollLimitNs = 200_000;
    reset.halted(5_000_000);
    expect(reset.pollLimitNs).toBe(0);
  });

  it('a poll that runs out of its window is followed by a halt (haltpoll_select()); a halt by a poll again', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(128 * 4));
    const hp = new HaltPoll(KERNEL);
    hp.pollLimitNs = 50_000;
    expect(hp.select()).toBe(0);
    expect(hp.pollIdle(i32, 64, 0, 10)).toBe(false); // nobody rings word 64
    expect(hp.stats.pollMisses).toBe(1);
    expect(hp.select()).toBe(1);
    hp.halted(10_000);
    expect(hp.select()).toBe(0);
    // A moved word ends the poll at once, a hit.
    i32[64] = 2;
    expect(hp.pollIdle(i32, 64, 0, 10)).toBe(true);
    expect(hp.select()).toBe(0);
  });

  it('caps the executors polling at once (haltpoll.max_polling_cpus): over the cap the poll is not made', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(128 * 4));
    const hp = new HaltPoll({ ...KERNEL, maxPolling: 0 });
    hp.pollLimitNs = 50_000;
    expect(hp.pollIdle(i32, 64, 0, 10)).toBe(null);
    expect(hp.stats.capped).toBe(1);
  });
});

describe('haltpoll boot parameters', () => {
  it('the driver loads on a host with a core per CPU and one more, or with cpuidle_haltpoll.force; guest_halt_poll_ns=0 turns polling off', () => {
    const none = new Map<string, string>();
    expect(haltPollParams(none, 8, 2).pollNs).toBe(0);
    expect(haltPollParams(none, 8, 9).pollNs).toBe(200_000);
    expect(haltPollParams(none, 8, 9).maxPolling).toBe(8);
    const forced = haltPollParams(new Map([['cpuidle_haltpoll.force', '1']]), 8, 2);
    expect(forced.pollNs).toBe(200_000);
    expect(forced.maxPolling).toBe(1);
    const tuned = haltPollParams(
      new Map([
        ['cpuidle_haltpoll.force', 'y'],
        ['haltpoll.guest_halt_poll_ns', '100000'],
        ['haltpoll.guest_halt_poll_grow_start', '10000'],
        ['haltpoll.guest_halt_poll_grow', '4'],
        ['haltpoll.guest_halt_poll_shrink', '0'],
        ['haltpoll.guest_halt_poll_allow_shrink', 'n'],
        ['haltpoll.max_polling_cpus', '3'],
      ]),
      8,
      2,
    );
    expect(tuned).toEqual({ pollNs: 100_000, shrink: 0, grow: 4, growStart: 10_000, allowShrink: false, maxPolling: 3 });
    const off = new HaltPoll(haltPollParams(new Map([['cpuidle_haltpoll.force', '1'], ['haltpoll.guest_halt_poll_ns', '0']]), 8, 2));
    off.halted(10_000);
    expect(off.select()).toBe(1);
  });

  it('the driver takes them on the boot line and refuses a bad value with one line', () => {
    expect(parseBootWords('cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=100000', 'B', 'rcu').map((w) => w.value)).toEqual(['1', '100000']);
    expect(errorOf(() => parseBootWords('haltpoll.guest_halt_poll_ns=-1', 'B', 'rcu')).message).toMatch(/haltpoll\.guest_halt_poll_ns.*-1/);
    expect(errorOf(() => parseBootWords('haltpoll.max_polling_cpus=-2', 'B', 'lock')).message).toMatch(/haltpoll\.max_polling_cpus/);
  });
});

describe('haltpoll in a real guest', () => {
  it('with every executor free to poll (cpuidle_haltpoll.force=1, a cap of all CPUs), the token ring loses no wake-up and the guest ends clean', async () => {
    // The ring's sleeps have no timeout: a ring lost to a poller would strand it (a hung task).
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 20,
      bootParams: { 'cpuidle_haltpoll.force': '1', 'haltpoll.max_polling_cpus': '4', 'haltpoll.guest_halt_poll_grow_start': '200000' },
      modules: [distModuleUrl('harness/cpu/test_support/token_ring')],
    });
    expect(run.console).toContain('token_ring: 200 rounds over 4 CPUs, token 800');
    expect(run.code).toBe(0);
    expect(run.result?.end).toBe('poweroff');
  });

  it('polling hides no lost wake-up: with every CPU polling, mutex.test_lost_wakeup still strands a writer and khungtaskd reports it', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 30,
      kconfig: { CONFIG_PREEMPT: 'y' },
      bootParams: {
        'cpuidle_haltpoll.force': '1',
        'haltpoll.max_polling_cpus': '4',
        'locktorture.torture_type': 'mutex_lock',
        'locktorture.shutdown_secs': '30',
        'locktorture.long_hold': '1',
        'mutex.test_lost_wakeup': '2',
      },
    });
    expect(run.console).toContain('INFO: task lock_torture_wr:');
    expect(run.console).toContain('__mutex_lock_slowpath');
    expect(run.result?.end).toBe('hang');
    expect(run.code).toBe(1);
  });
});
