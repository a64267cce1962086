import { describe, expect, it } from 'vitest';
import { WAIT_EVENT, WAIT_LOCK, WAIT_LOCK_ASYNC, WAIT_NONE, findCycle, type WaitView } from './wait_for.js';
import { deadlockReport, hungTaskReport } from './wait_report.js';

const A = 0x1111;
const B = 0x2222;

function view(v: Partial<WaitView> & Pick<WaitView, 'slot' | 'pid' | 'comm'>): WaitView {
  return { waiting: WAIT_NONE, gen: 1, hash: 0, inst: 0, since: 0, held: [], text: null, reportedGen: 0, ...v };
}

const first = view({
  slot: 1,
  pid: 12,
  comm: 'first',
  waiting: WAIT_LOCK,
  hash: B,
  inst: 2,
  held: [
    [A, 1],
    [B, 2],
  ],
  text: {
    lock: 'ffffffff80000002 (lock_b)',
    at: 'take_a_then_b (app/worker.mjs:20)',
    frames: ['take_a_then_b (app/worker.mjs:20)', 'main (app/worker.mjs:40)'],
    held: ['2 locks held by first/12:', ' #0: ffffffff80000001 (lock_a){+.+.}-{3:3}, at: take_a_then_b (app/worker.mjs:18)', ' #1: ffffffff80000002 (lock_b){+.+.}-{3:3}, at: take_a_then_b (app/worker.mjs:20)'],
  },
});
const second = view({
  slot: 0,
  pid: 13,
  comm: 'second',
  waiting: WAIT_LOCK,
  hash: A,
  inst: 1,
  held: [
    [B, 2],
    [A, 1],
  ],
  text: {
    lock: 'ffffffff80000001 (lock_a)',
    at: 'take_b_then_a (app/worker.mjs:27)',
    frames: ['take_b_then_a (app/worker.mjs:27)', 'main (app/worker.mjs:41)'],
    held: ['2 locks held by second/13:', ' #0: ffffffff80000002 (lock_b){+.+.}-{3:3}, at: take_b_then_a (app/worker.mjs:25)', ' #1: ffffffff80000001 (lock_a){+.+.}-{3:3}, at: take_b_then_a (app/worker.mjs:27)'],
  },
});

describe('the real-blocking reports, to the character', () => {
  it('DEADLOCK: the cycle from any member prints the same report, starting at the lowest pid', () => {
    const all = [second, first];
    const fromSecond = findCycle(all, second);
    expect(fromSecond?.map((t) => t.comm)).toEqual(['second', 'first']);
    const text = deadlockReport(fromSecond ?? [], 'user-program');
    expect(deadlockReport(findCycle(all, first) ?? [], 'user-program')).toEqual(text);
    expect(text).toEqual([
      '===============================================',
      'DEADLOCK: 2 threads blocked in a wait-for cycle',
      'user-program Not tainted',
      '-----------------------------------------------',
      'first/12 is blocked on lock:',
      'ffffffff80000002 (lock_b), at: take_a_then_b (app/worker.mjs:20)',
      'which is held by second/13',
      '',
      'second/13 is blocked on lock:',
      'ffffffff80000001 (lock_a), at: take_b_then_a (app/worker.mjs:27)',
      'which is held by first/12',
      '',
      'the wait-for cycle: first/12 -> (lock_b) -> second/13 -> (lock_a) -> first/12',
      '',
      'no thread of the cycle can run: each waits for a lock the next one holds.',
      '',
      '2 locks held by first/12:',
      ' #0: ffffffff80000001 (lock_a){+.+.}-{3:3}, at: take_a_then_b (app/worker.mjs:18)',
      ' #1: ffffffff80000002 (lock_b){+.+.}-{3:3}, at: take_a_then_b (app/worker.mjs:20)',
      '',
      '2 locks held by second/13:',
      ' #0: ffffffff80000002 (lock_b){+.+.}-{3:3}, at: take_b_then_a (app/worker.mjs:25)',
      ' #1: ffffffff80000001 (lock_a){+.+.}-{3:3}, at: take_b_then_a (app/worker.mjs:27)',
      '',
      'stack of first/12:',
      ' take_a_then_b (app/worker.mjs:20)',
      ' main (app/worker.mjs:40)',
      '',
      'stack of second/13:',
      ' take_b_then_a (app/worker.mjs:27)',
      ' main (app/worker.mjs:41)',
      '',
      '===============================================',
    ]);
  });

  it('no cycle when the holder runs, or when nobody holds the lock; a thread waiting for its own wait is not its holder', () => {
    const running = view({ ...second, waiting: WAIT_NONE });
    expect(findCycle([first, running], first)).toBeNull();
    expect(findCycle([first], first)).toBeNull();
    const alsoWaitingForB = view({ slot: 2, pid: 14, comm: 'third', waiting: WAIT_LOCK, hash: B, inst: 2, held: [[B, 2]] });
    expect(findCycle([first, alsoWaitingForB], first)).toBeNull();
    // A thread in an async wait runs on (its other async code may release what the others wait for): never on a cycle.
    const asyncSecond = view({ ...second, waiting: WAIT_LOCK_ASYNC });
    expect(findCycle([first, asyncSecond], first)).toBeNull();
    expect(findCycle([first, asyncSecond], asyncSecond)).toBeNull();
    expect(findCycle([first, second], first)?.map((t) => t.comm)).toEqual(['first', 'second']);
  });

  it('INFO: task ... blocked: a lost wake-up on an event, and a lock held by a running thread', () => {
    const consumer = view({
      slot: 3,
      pid: 7,
      comm: 'consumer',
      waiting: WAIT_EVENT,
      hash: 0x3333,
      inst: 3,
      text: { lock: 'ffffffff80000003 (queue_nonempty)', at: 'consume (app/queue.mjs:9)', frames: ['consume (app/queue.mjs:9)'], held: ['no locks held by consumer/7.'] },
    });
    expect(hungTaskReport([consumer], consumer, 12, 'user-program')).toEqual([
      'INFO: task consumer:7 blocked for more than 12 seconds.',
      '      Not tainted user-program',
      '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
      'task:consumer        state:D stack:0     pid:7     tgid:7     ppid:0      flags:0x00000000',
      'Call Trace:',
      ' <TASK>',
      ' consume (app/queue.mjs:9)',
      ' </TASK>',
      ' waiting 12s for: ffffffff80000003 (queue_nonempty), at: consume (app/queue.mjs:9)',
      ' held by: nothing (an event: only a wake-up ends this wait; none came: a lost wake-up?)',
      'no locks held by consumer/7.',
    ]);
    const holder = view({ slot: 0, pid: 13, comm: 'second', held: [[B, 2]] });
    expect(hungTaskReport([first, holder], first, 3, 'user-program').slice(9, 11)).toEqual([
      ' waiting 3s for: ffffffff80000002 (lock_b), at: take_a_then_b (app/worker.mjs:20)',
      ' held by: second/13 (running)',
    ]);
    expect(hungTaskReport([first], first, 3, 'user-program')[10]).toBe(' held by: no thread (nobody holds it: a lost wake-up, or an owner that exited holding it)');
  });
});
