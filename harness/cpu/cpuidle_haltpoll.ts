/*
 * The executor's idle states, as a KVM guest's cpuidle-haltpoll driver and haltpoll governor
 * choose them: state 0 polls (poll_idle(): the CPU spins on its doorbell word, so a ring needs no
 * host wake-up: doorbell.ts), state 1 halts (the executor sleeps in Atomics.wait, and a ring must
 * notify it: a futex wake-up of its host thread). The governor adapts the poll window per CPU:
 * it grows after a halt that a longer poll would have caught, and shrinks after a halt longer
 * than guest_halt_poll_ns (a wasted poll). harness/cpu/README.md ("Idle: poll, then halt") says
 * why, and why the number of polling executors is capped.
 */

import os from 'node:os';
import { ModuleParams } from '../../kernels/moduleparam.js';
import { HDR_HALTPOLL_POLLING } from '../shm/layout.js';

type BootParams = ReadonlyMap<string, string>;

/** drivers/cpuidle/cpuidle-haltpoll.c: the driver's own parameter. */
export const cpuidle_haltpoll_params = new ModuleParams('cpuidle_haltpoll');
/**
 * Load the driver unconditionally. Without it the driver loads only under KVM_HINTS_REALTIME, a
 * host that gives every vCPU a core of its own: here, a host with a core per executor and one for
 * the guest's main thread (haltPollParams()).
 */
export const force = cpuidle_haltpoll_params.param('bool', 'force', false, 'Poll in idle even without a host core per CPU');

export const haltpoll_params = new ModuleParams('haltpoll');
/** drivers/cpuidle/governors/haltpoll.c: the longest poll window, ns (0: never poll). */
export const guest_halt_poll_ns = haltpoll_params.param('uint', 'guest_halt_poll_ns', 200000, 'Longest idle poll window, ns (0: never poll)');
/** The divisor of the window after a halt longer than guest_halt_poll_ns (0: back to 0). */
export const guest_halt_poll_shrink = haltpoll_params.param('uint', 'guest_halt_poll_shrink', 2, 'Poll window divisor after a long halt (0: reset to 0)');
/** The factor of the window after a halt a longer poll would have caught. */
export const guest_halt_poll_grow = haltpoll_params.param('uint', 'guest_halt_poll_grow', 2, 'Poll window factor after a short halt');
/** The window's first value when it grows from below it, ns. */
export const guest_halt_poll_grow_start = haltpoll_params.param('uint', 'guest_halt_poll_grow_start', 50000, 'Poll window after its first grow, ns');
/** Whether a long halt shrinks the window. */
export const guest_halt_poll_allow_shrink = haltpoll_params.param('bool', 'guest_halt_poll_allow_shrink', true, 'A long halt shrinks the poll window');
/**
 * Ours: the most executors polling at once, guest-wide (-1: the host's cores less one). A poll
 * spins a host core; the kernel's vCPUs each have one, our executors share the host's.
 */
export const max_polling_cpus = haltpoll_params.param('int', 'max_polling_cpus', -1, 'Most executors polling at once (-1: host cores - 1)', { min: -1 });

/** The governor's tunables, read once per executor from the boot line. */
export interface HaltPollParams {
  readonly pollNs: number;
  readonly shrink: number;
  readonly grow: number;
  readonly growStart: number;
  readonly allowShrink: boolean;
  readonly maxPolling: number;
}

/**
 * The governor's tunables for a guest of `nrCpus` CPUs on a host of `hostCores` cores. Without a
 * core per executor (and one for the guest's main thread: the KVM_HINTS_REALTIME host) and without
 * cpuidle_haltpoll.force, the driver does not load: the CPUs only halt (a window of 0).
 */
export function haltPollParams(bootParams: BootParams, nrCpus: number, hostCores = os.availableParallelism()): HaltPollParams {
  const max = max_polling_cpus.from(bootParams);
  const loaded = force.from(bootParams) || hostCores >= nrCpus + 1;
  return {
    pollNs: loaded ? guest_halt_poll_ns.from(bootParams) : 0,
    shrink: guest_halt_poll_shrink.from(bootParams),
    grow: guest_halt_poll_grow.from(bootParams),
    growStart: guest_halt_poll_grow_start.from(bootParams),
    allowShrink: guest_halt_poll_allow_shrink.from(bootParams),
    maxPolling: max >= 0 ? max : Math.max(0, hostCores - 1),
  };
}

/** The idle state haltpoll_select() picks: 0 poll, 1 halt (the kernel's state indices). */
export type IdleState = 0 | 1;

/** The clock is read every this many polls of the word (poll_state.c's POLL_IDLE_RELAX_COUNT). */
const POLL_RELAX_COUNT = 64;

/** One CPU's cpuidle device under the haltpoll governor. */
export class HaltPoll {
  readonly #p: HaltPollParams;
  /** dev->poll_limit_ns: the current poll window (0 at enable, as haltpoll_enable_device()). */
  pollLimitNs = 0;
  /** dev->last_state_idx. */
  #lastState: IdleState = 1;
  /** dev->poll_time_limit: the last poll ended at its window, not at a ring. */
  #pollTimeLimit = false;
  /** Polls ended by a ring, polls that ran out, halts, polls refused by the cap (README figures). */
  readonly stats = { pollHits: 0, pollMisses: 0, halts: 0, capped: 0 };

  constructor(p: HaltPollParams) {
    this.#p = p;
  }

  /** Polling allowed at all (guest_halt_poll_ns > 0): else an idle CPU just halts, untimed. */
  get enabled(): boolean {
    return this.#p.pollNs > 0;
  }

  /** haltpoll_select(): halt with no window or after a poll that ran out; else poll. */
  select(): IdleState {
    if (this.#p.pollNs === 0 || this.pollLimitNs === 0) return 1;
    if (this.#lastState === 0 && this.#pollTimeLimit) return 1;
    return 0;
  }

  /** haltpoll_reflect(): after state `idx` ran for `residencyNs`; a halt adjusts the window. */
  reflect(idx: IdleState, residencyNs: number): void {
    this.#lastState = idx;
    if (idx !== 0) this.adjustPollLimit(residencyNs);
  }

  /** adjust_poll_limit(): grow when a halt ended inside the largest window, shrink past it. */
  adjustPollLimit(blockNs: number): void {
    const p = this.#p;
    if (blockNs > this.pollLimitNs && blockNs <= p.pollNs) {
      let val = this.pollLimitNs * p.grow;
      if (val < p.growStart) val = p.growStart;
      if (val > p.pollNs) val = p.pollNs;
      this.pollLimitNs = val;
    } else if (blockNs > p.pollNs && p.allowShrink) {
      let val = p.shrink === 0 ? 0 : Math.floor(this.pollLimitNs / p.shrink);
      // Below grow_start the window resets to 0, as the kernel's.
      if (val < p.growStart) val = 0;
      this.pollLimitNs = val;
    }
  }

  /**
   * poll_idle(): spin on `word` of `i32` while it reads `seen`, for the poll window but not past
   * `maxMs`; true when it moved (a ring: no host wake-up needed). The guest-wide count of pollers
   * (HDR_HALTPOLL_POLLING) caps them: over the cap the poll is not made (null: halt instead).
   */
  pollIdle(i32: Int32Array, word: number, seen: number, maxMs: number): boolean | null {
    // Count ourselves in first, then check: two executors racing for the last place both see it taken.
    if (Atomics.add(i32, HDR_HALTPOLL_POLLING, 1) >= this.#p.maxPolling) {
      Atomics.sub(i32, HDR_HALTPOLL_POLLING, 1);
      this.stats.capped++;
      return null;
    }
    const start = performance.now();
    const end = start + Math.min(this.pollLimitNs / 1e6, maxMs);
    let moved = false;
    // Pairs with ringCpu()'s Atomics.add: the doorbell's flag stays clear, so a ring only adds.
    for (let n = 0; ; n++) {
      if (Atomics.load(i32, word) !== seen) {
        moved = true;
        break;
      }
      if (n % POLL_RELAX_COUNT === 0 && performance.now() >= end) break;
    }
    Atomics.sub(i32, HDR_HALTPOLL_POLLING, 1);
    this.#pollTimeLimit = !moved;
    if (moved) this.stats.pollHits++;
    else this.stats.pollMisses++;
    this.reflect(0, (performance.now() - start) * 1e6);
    return moved;
  }

  /** A halt of `residencyNs` ended (a ring or its timeout). */
  halted(residencyNs: number): void {
    this.stats.halts++;
    this.reflect(1, residencyNs);
  }
}
