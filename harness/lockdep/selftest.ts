/*
 * lib/locking-selftest.c on the real validator: every testcase runs on a fresh lockdep region with
 * silent reports, and passes when lockdep's verdict (debug_locks still on or switched off) is the
 * kernel's expectation. Prints the kernel's table and closing line.
 *
 * Families: the deadlock patterns AA .. ABCDBCDA x spin/wlock/rlock/mutex/wsem/rsem/rtmutex
 * (the rtmutex column: selftest_rtmutex.ts), double unlock,
 * the recursive-read and mixed read/write families (including the chain-cache one), and the irq
 * families irqsafe1/2A/2B/3/4, irq lock-inversion and irq read-recursion in hardirq and softirq
 * flavours, and the `rlock W1R2/...` recursive-read cycle families. As in the kernel's selftest, read_lock() is treated as a recursive reader throughout
 * (force_read_lock_recursive). The wait-context family (`in hardirq context` .. `in MUTEX
 * context`, selftest_wait_context.ts) runs with PROVE_RAW_LOCK_NESTING; the wound/wait family
 * (ww_tests(), selftest_ww.ts) runs the kernel's own ww_mutex; the rtmutex column is
 * selftest_rtmutex.ts. Not covered: `initialize held`, local_lock, queued read lock, fs_reclaim.
 */

import { Machine, type Irq, type Kind, type Testcase } from './selftest_machine.js';
import { WAIT_CONTEXT_COLUMNS, WAIT_CONTEXT_ROWS } from './selftest_wait_context.js';
import { ww_tests } from './selftest_ww.js';
import { RTMUTEX_COLUMNS, RTMUTEX_HEADER } from './selftest_rtmutex.js';

const FAILURE = false;
const SUCCESS = true;

const KINDS6: readonly Kind[] = ['spin', 'wlock', 'rlock', 'mutex', 'wsem', 'rsem'];

/* ---- deadlock patterns (DO_TESTCASE_6R) ---- */
const AA = (k: Kind): Testcase => (m) => {
  m.lock(k, 'X1');
  m.lock(k, 'X2');
};
const pairs = (...ps: [string, string][]) => (k: Kind): Testcase => (m) => {
  for (const [a, b] of ps) m.lockUnlock2(k, a, b);
};
const ABBA = pairs(['A', 'B'], ['B', 'A']);
const ABBCCA = pairs(['A', 'B'], ['B', 'C'], ['C', 'A']);
const ABCABC = pairs(['A', 'B'], ['C', 'A'], ['B', 'C']);
const ABBCCDDA = pairs(['A', 'B'], ['B', 'C'], ['C', 'D'], ['D', 'A']);
const ABCDBDDA = pairs(['A', 'B'], ['C', 'D'], ['B', 'D'], ['D', 'A']);
const ABCDBCDA = pairs(['A', 'B'], ['C', 'D'], ['B', 'C'], ['D', 'A']);
const double_unlock = (k: Kind): Testcase => (m) => {
  m.lock(k, 'A');
  m.unlock(k, 'A');
  m.unlock(k, 'A');
};

/* ---- read recursion and mixed read/write ---- */
const seq = (...steps: [Kind, string, 'L' | 'U'][]): Testcase => (m) => {
  for (const [k, x, op] of steps) {
    if (op === 'L') m.lock(k, x);
    else m.unlock(k, x);
  }
};
const rlock_AA1 = seq(['rlock', 'X1', 'L'], ['rlock', 'X1', 'L']);
const rsem_AA1 = seq(['rsem', 'X1', 'L'], ['rsem', 'X1', 'L']);
const rlock_AA1B = seq(['rlock', 'X1', 'L'], ['rlock', 'X2', 'L']);
const rsem_AA1B = seq(['rsem', 'X1', 'L'], ['rsem', 'X2', 'L']);
const rlock_AA2 = seq(['rlock', 'X1', 'L'], ['wlock', 'X2', 'L']);
const rsem_AA2 = seq(['rsem', 'X1', 'L'], ['wsem', 'X2', 'L']);
const rlock_AA3 = seq(['wlock', 'X1', 'L'], ['rlock', 'X2', 'L']);
const rsem_AA3 = seq(['wsem', 'X1', 'L'], ['rsem', 'X2', 'L']);
const abba = (r1: Kind, inner: Kind, r2: Kind, ru1: Kind = r1, ru2: Kind = r2): Testcase =>
  seq([r1, 'X1', 'L'], [inner, 'Y1', 'L'], [inner, 'Y1', 'U'], [ru1, 'X1', 'U'], [inner, 'Y1', 'L'], [r2, 'X1', 'L'], [ru2, 'X1', 'U'], [inner, 'Y1', 'U']);
const rlock_ABBA1 = abba('rlock', 'spin', 'wlock');
const rwsem_ABBA1 = abba('rsem', 'mutex', 'wsem');
const rlock_ABBA2 = abba('rlock', 'spin', 'rlock');
const rwsem_ABBA2 = abba('rsem', 'mutex', 'rsem');
const rlock_ABBA3 = abba('wlock', 'spin', 'wlock');
const rwsem_ABBA3 = abba('wsem', 'mutex', 'wsem');
const rlock_chaincache_ABBA1 = seq(
  ['rlock', 'X1', 'L'],
  ['spin', 'Y1', 'L'],
  ['spin', 'Y1', 'U'],
  ['rlock', 'X1', 'U'],
  ['spin', 'Y1', 'L'],
  ['rlock', 'X1', 'L'],
  ['rlock', 'X1', 'U'],
  ['spin', 'Y1', 'U'],
  ['spin', 'Y1', 'L'],
  ['wlock', 'X1', 'L'],
  ['wlock', 'X1', 'U'],
  ['spin', 'Y1', 'U'],
);

/* ---- recursive-read cycles (Boqun Feng, 2020): three events, each `outer; inner` on X/Y/Z ---- */
const ev2 = (k1: Kind, x: string, k2: Kind, y: string): Testcase => seq([k1, x, 'L'], [k2, y, 'L'], [k2, y, 'U'], [k1, x, 'U']);
const W1R2_W2R3_W3R1 = [ev2('wlock', 'X1', 'rlock', 'Y1'), ev2('wlock', 'Y1', 'rlock', 'Z1'), ev2('wlock', 'Z1', 'rlock', 'X1')];
const W1W2_R2R3_W3R1 = [ev2('wlock', 'X1', 'wlock', 'Y1'), ev2('rlock', 'Y1', 'rlock', 'Z1'), ev2('wlock', 'Z1', 'rlock', 'X1')];
const W1R2_R2R3_W3W1 = [ev2('wlock', 'X1', 'wlock', 'Y1'), ev2('rlock', 'Y1', 'rlock', 'Z1'), ev2('rlock', 'Z1', 'wlock', 'X1')];
const W1W2_R2R3_R3W1 = [ev2('wlock', 'X1', 'rlock', 'Y1'), ev2('rlock', 'Y1', 'rlock', 'Z1'), ev2('wlock', 'Z1', 'wlock', 'X1')];

/* ---- irq families: events E1..E3 permuted ---- */
type Events = (k: Kind, irq: Irq) => Testcase[];
const irqsafe1: Events = (k, irq) => [
  (m) => {
    m.enter(irq);
    m.lock(k, 'A');
    m.unlock(k, 'A');
    m.exit(irq);
  },
  (m) => {
    m.lock(k, 'A');
    m.unlock(k, 'A');
  },
];
const irqsafe2A: Events = (k) => [
  (m) => {
    m.enter('soft');
    m.lock(k, 'A');
    m.unlock(k, 'A');
    m.exit('soft');
  },
  (m) => {
    m.irqDisable();
    m.lock(k, 'A');
    m.irqEnable();
    m.unlock(k, 'A');
  },
];
const irqsafe2B: Events = (k, irq) => [
  (m) => {
    m.enter(irq);
    m.lock(k, 'A');
    m.unlock(k, 'A');
    m.exit(irq);
  },
  (m) => {
    m.disable(irq);
    m.lock(k, 'A');
    m.enable(irq);
    m.unlock(k, 'A');
  },
];
const irqsafe3: Events = (k, irq) => [
  (m) => m.lockUnlock2(k, 'A', 'B'),
  (m) => {
    m.lock(k, 'B');
    m.unlock(k, 'B');
  },
  (m) => {
    m.enter(irq);
    m.lock(k, 'A');
    m.unlock(k, 'A');
    m.exit(irq);
  },
];
const irqsafe4: Events = (k, irq) => [
  (m) => {
    m.disable(irq);
    m.lockUnlock2(k, 'A', 'B');
    m.enable(irq);
  },
  (m) => {
    m.lock(k, 'B');
    m.unlock(k, 'B');
  },
  (m) => {
    m.enter(irq);
    m.lock(k, 'A');
    m.unlock(k, 'A');
    m.exit(irq);
  },
];
const irq_inversion: Events = (k, irq) => [
  (m) => {
    m.disable(irq);
    m.lock('wlock', 'A');
    m.lock(k, 'B');
    m.unlock(k, 'B');
    m.unlock('wlock', 'A');
    m.enable(irq);
  },
  (m) => {
    m.lock(k, 'B');
    m.unlock(k, 'B');
  },
  (m) => {
    m.enter(irq);
    m.lock('rlock', 'A');
    m.unlock('rlock', 'A');
    m.exit(irq);
  },
];
const irq_read_recursion: Events = (_k, irq) => [
  (m) => {
    m.disable(irq);
    m.lock('wlock', 'A');
    m.unlock('wlock', 'A');
    m.enable(irq);
  },
  (m) => {
    m.lock('rlock', 'A');
    m.unlock('rlock', 'A');
  },
  (m) => {
    m.enter(irq);
    m.lock('rlock', 'A');
    m.lock('spin', 'B');
    m.unlock('spin', 'B');
    m.unlock('rlock', 'A');
    m.exit(irq);
  },
];

function permute(events: Testcase[], order: string): Testcase {
  return (m) => {
    for (const c of order) events[Number(c) - 1]?.(m);
  };
}

export function locking_selftest(print: (l: string) => void): { passed: number; failed: number } {
  let passed = 0;
  let failed = 0;
  let row = '';
  const testname = (name: string): void => {
    row = `${name.padStart(33)}:`;
  };
  const cont = (s: string): void => {
    row += s;
  };
  const endRow = (): void => {
    print(row);
    row = '';
  };
  /** dotest(): run on a fresh validator; `expected` true means lockdep must stay quiet. */
  const dotest = (tc: Testcase, expected: boolean, waitContext = false): void => {
    const m = new Machine(waitContext);
    tc(m);
    if (m.ld.enabled !== expected) {
      failed++;
      cont('FAILED|');
    } else {
      passed++;
      cont('  ok  |');
    }
  };
  const six = (desc: string, gen: (k: Kind) => Testcase, rlockOk: boolean): void => {
    testname(desc);
    for (const k of [...KINDS6, ...RTMUTEX_COLUMNS]) dotest(gen(k), k === 'rlock' ? rlockOk : FAILURE);
    endRow();
  };
  const rw = (desc: string, rl: Testcase, rlExp: boolean, rs: Testcase, rsExp: boolean): void => {
    testname(desc);
    cont('             |');
    dotest(rl, rlExp);
    cont('             |');
    dotest(rs, rsExp);
    endRow();
  };
  const three = (desc: string, ev: Events, irq: Irq, order: string, rwSpin = false): void => {
    void rwSpin;
    testname(`${desc}/${order}`);
    dotest(permute(ev('spin', irq), order), FAILURE);
    dotest(permute(ev('wlock', irq), order), FAILURE);
    dotest(permute(ev('rlock', irq), order), SUCCESS);
    endRow();
  };
  const sixI = (desc: string, ev: Events, order: string): void => {
    three(`hard-${desc}`, ev, 'hard', order);
    three(`soft-${desc}`, ev, 'soft', order);
  };
  const perms2 = ['12', '21'];
  const perms3 = ['123', '132', '213', '231', '312', '321'];

  print('------------------------');
  print('| Locking API testsuite:');
  print('----------------------------------------------------------------------------');
  print(`                                 | spin |wlock |rlock |mutex | wsem | rsem |${RTMUTEX_HEADER}`);
  print('  --------------------------------------------------------------------------');
  six('A-A deadlock', AA, SUCCESS);
  six('A-B-B-A deadlock', ABBA, SUCCESS);
  six('A-B-B-C-C-A deadlock', ABBCCA, SUCCESS);
  six('A-B-C-A-B-C deadlock', ABCABC, SUCCESS);
  six('A-B-B-C-C-D-D-A deadlock', ABBCCDDA, SUCCESS);
  six('A-B-C-D-B-D-D-A deadlock', ABCDBDDA, SUCCESS);
  six('A-B-C-D-B-C-D-A deadlock', ABCDBCDA, SUCCESS);
  six('double unlock', double_unlock, FAILURE);
  print('  --------------------------------------------------------------------------');
  rw('recursive read-lock', rlock_AA1, SUCCESS, rsem_AA1, FAILURE);
  rw('recursive read-lock #2', rlock_AA1B, SUCCESS, rsem_AA1B, FAILURE);
  rw('mixed read-write-lock', rlock_AA2, FAILURE, rsem_AA2, FAILURE);
  rw('mixed write-read-lock', rlock_AA3, FAILURE, rsem_AA3, FAILURE);
  rw('mixed read-lock/lock-write ABBA', rlock_ABBA1, FAILURE, rwsem_ABBA1, FAILURE);
  rw('mixed read-lock/lock-read ABBA', rlock_ABBA2, SUCCESS, rwsem_ABBA2, FAILURE);
  rw('mixed write-lock/lock-write ABBA', rlock_ABBA3, FAILURE, rwsem_ABBA3, FAILURE);
  testname('chain cached mixed R-L/L-W ABBA');
  cont('             |');
  dotest(rlock_chaincache_ABBA1, FAILURE);
  endRow();
  const rr = (desc: string, events: Testcase[], expected: boolean): void => {
    for (const o of perms3) {
      testname(`${desc}/${o}`);
      cont('             |');
      dotest(permute(events, o), expected);
      endRow();
    }
  };
  rr('rlock W1R2/W2R3/W3R1', W1R2_W2R3_W3R1, FAILURE);
  rr('rlock W1W2/R2R3/W3R1', W1W2_R2R3_W3R1, FAILURE);
  rr('rlock W1W2/R2R3/R3W1', W1W2_R2R3_R3W1, SUCCESS);
  rr('rlock W1R2/R2R3/W3W1', W1R2_R2R3_W3W1, SUCCESS);
  print('  --------------------------------------------------------------------------');
  for (const o of perms2) sixI('irqs-on + irq-safe-A', irqsafe1, o);
  for (const o of perms2) three('sirq-safe-A => hirqs-on', irqsafe2A, 'soft', o);
  for (const o of perms2) sixI('safe-A + irqs-on', irqsafe2B, o);
  for (const o of perms3) sixI('safe-A + unsafe-B #1', irqsafe3, o);
  for (const o of perms3) sixI('safe-A + unsafe-B #2', irqsafe4, o);
  for (const o of perms3) sixI('irq lock-inversion', irq_inversion, o);
  for (const o of perms3) {
    for (const irq of ['hard', 'soft'] as const) {
      testname(`${irq}-irq read-recursion/${o}`);
      dotest(permute(irq_read_recursion('rlock', irq), o), SUCCESS);
      endRow();
    }
  }
  ww_tests({ print, testname, dotest: (tc, expected) => dotest(tc, expected), endRow });
  // wait_context_tests(): the kernel runs them with CONFIG_PROVE_RAW_LOCK_NESTING, which 6.12 sets
  // on every architecture that supports PREEMPT_RT (x86 included); here always.
  print('  --------------------------------------------------------------------------');
  print('  | wait context tests |');
  print('  --------------------------------------------------------------------------');
  print(WAIT_CONTEXT_COLUMNS);
  print('  --------------------------------------------------------------------------');
  for (const r of WAIT_CONTEXT_ROWS) {
    testname(r.desc);
    for (const [tc, expected] of r.cases) dotest(tc, expected, true);
    endRow();
  }
  const total = passed + failed;
  if (failed > 0) {
    print('-----------------------------------------------------------------');
    print(`BUG: ${String(failed).padStart(3)} unexpected failures (out of ${String(total).padStart(3)}) - debugging disabled! |`);
    print('-----------------------------------------------------------------');
  } else {
    print('-------------------------------------------------------');
    print(`Good, all ${String(total).padStart(3)} testcases passed! |`);
    print('---------------------------------');
  }
  return { passed, failed };
}
