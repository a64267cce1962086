/*
 * Priority inheritance of rt_mutexes (kernel/locking/rtmutex.c): the waiter order, the top
 * waiter, rt_mutex_adjust_prio() and the PI chain walk rt_mutex_adjust_prio_chain() with its
 * deadlock detection, written over `PiState`, the view of the locks and tasks they need. The
 * model's rt_mutexes (rtmutex.ts) run them on shared memory under the one PI lock; the in-process
 * tests (rtmutex_chain.test.ts) run them on plain maps, so the algorithm is checked without
 * threads. kernels/README.md ("rt_mutex") explains the design and its departures.
 */

/** The prio of no boost (MAX_PRIO): rt_mutex_setprio(p, NULL). */
export const MAX_PRIO = 140;
export const MAX_RT_PRIO = 100;
export const EDEADLK = 35;

/** What the PI algorithm reads and writes. Locks and tasks are small integers (lock ids, pids). */
export interface PiState {
  /** rt_mutex_owner(): pid, 0 when none. */
  owner(lock: number): number;
  /** The waiters of `lock`, in the order they blocked (the FIFO among equal prios). */
  waiters(lock: number): readonly number[];
  /** pi_blocked_on: the lock `pid` waits for, -1 when none. */
  blockedOn(pid: number): number;
  /** The locks `pid` owns that have waiters (its pi_waiters are their top waiters). */
  ownedWithWaiters(pid: number): readonly number[];
  /** p->prio (effective). */
  prio(pid: number): number;
  /** rt_mutex_setprio(): the prio `pid` inherits, MAX_PRIO for none. */
  setPiPrio(pid: number, prio: number): void;
}

/**
 * rt_mutex_top_waiter(): the waiter of best prio, FIFO among equals (the waiter tree's order:
 * rt_waiter_node_less() compares prio, then deadline for SCHED_DEADLINE, which the model has not,
 * and ties keep enqueue order). 0 when nobody waits.
 */
export function rt_mutex_top_waiter(s: PiState, lock: number): number {
  let top = 0;
  let best = MAX_PRIO + 1;
  for (const pid of s.waiters(lock)) {
    const p = s.prio(pid);
    if (p < best) {
      top = pid;
      best = p;
    }
  }
  return top;
}

/** task_top_pi_waiter()'s prio: the best top waiter of the locks `pid` owns, MAX_PRIO when none. */
export function task_top_pi_prio(s: PiState, pid: number): number {
  let best = MAX_PRIO;
  for (const lock of s.ownedWithWaiters(pid)) {
    const top = rt_mutex_top_waiter(s, lock);
    if (top !== 0) best = Math.min(best, s.prio(top));
  }
  return best;
}

/**
 * rt_mutex_adjust_prio(): the owner inherits the prio of its top PI waiter (rt_mutex_setprio(p,
 * pi_task)), or gives the boost back when it has none. `broken` is the planted bug
 * (rtmutex.test_broken_pi): the boost is never applied, a PI chain that fails to boost.
 */
export function rt_mutex_adjust_prio(s: PiState, pid: number, broken: boolean): void {
  if (broken) return;
  s.setPiPrio(pid, task_top_pi_prio(s, pid));
}

/** The outcome of a chain walk: 0 or -EDEADLK, and why (for the reports). */
export interface ChainWalk {
  readonly ret: 0 | -35;
  readonly why: 'done' | 'deadlock' | 'max_lock_depth';
  /** Tasks whose prio the walk adjusted, in chain order (the tests show them). */
  readonly adjusted: readonly number[];
}

/**
 * rt_mutex_adjust_prio_chain(): `task` (an owner) got a new top waiter on `orig_lock` because
 * `top_task` blocked there (or changed prio): adjust its prio, and if it is itself blocked on a
 * lock, requeue it there and go on with that lock's owner, at most `max_lock_depth` steps.
 * Requeueing is implicit: waiters are ordered by their live prio (rt_mutex_top_waiter()).
 *
 * Deadlock detection ([6] in the kernel): the walk reaches `orig_lock` again, or a lock owned by
 * `top_task`. Without `detect` (RT_MUTEX_MIN_CHAINWALK, no CONFIG_DEBUG_RT_MUTEXES) the walk
 * stops as soon as a step changes no prio, as the kernel's [5]/[10] early exits do, so a
 * deadlock of equal prios is not seen (the tasks just hang, as in the kernel).
 */
export function rt_mutex_adjust_prio_chain(
  s: PiState,
  task: number,
  orig_lock: number,
  top_task: number,
  detect: boolean,
  max_lock_depth: number,
  broken: boolean,
): ChainWalk {
  const adjusted: number[] = [];
  let depth = 0;
  for (;;) {
    if (++depth > max_lock_depth) return { ret: -EDEADLK as -35, why: 'max_lock_depth', adjusted };
    const before = s.prio(task);
    rt_mutex_adjust_prio(s, task, broken);
    adjusted.push(task);
    const lock = s.blockedOn(task);
    if (lock < 0) return { ret: 0, why: 'done', adjusted };
    if (!detect && s.prio(task) === before) return { ret: 0, why: 'done', adjusted };
    if (lock === orig_lock || s.owner(lock) === top_task) return { ret: -EDEADLK as -35, why: 'deadlock', adjusted };
    const next = s.owner(lock);
    if (next === 0) return { ret: 0, why: 'done', adjusted };
    task = next;
  }
}

/**
 * rt_mutex_adjust_pi(): `pid` changed its own prio (sched_setscheduler()); if it waits on an
 * rt_mutex, its lock's order changed, so walk on from that lock's owner (RT_MUTEX_MIN_CHAINWALK:
 * no deadlock detection, as the kernel's; a deboost propagates as a boost does).
 */
export function rt_mutex_adjust_pi(s: PiState, pid: number, max_lock_depth: number, broken: boolean): ChainWalk {
  const lock = s.blockedOn(pid);
  const owner = lock < 0 ? 0 : s.owner(lock);
  if (owner === 0) return { ret: 0, why: 'done', adjusted: [] };
  return rt_mutex_adjust_prio_chain(s, owner, lock, pid, false, max_lock_depth, broken);
}

/**
 * try_to_take_rt_mutex(): may `pid` take the ownerless `lock`? Yes if nobody waits, if it is the
 * top waiter, or if it is not a waiter and of strictly better prio than the top waiter (a steal,
 * rt_mutex_steal(): equal prios do not steal from a waiter, so SCHED_FIFO order holds).
 */
export function may_take_rt_mutex(s: PiState, lock: number, pid: number): boolean {
  if (s.owner(lock) !== 0) return false;
  const top = rt_mutex_top_waiter(s, lock);
  if (top === 0 || top === pid) return true;
  return s.prio(pid) < s.prio(top);
}
