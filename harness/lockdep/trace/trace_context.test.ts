import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from './trace_check.js';
import { makeTestTempDir } from '../../test_support/temp_dir.js';

const dir = makeTestTempDir('lockdep-ctx');
let n = 0;

type Ev = Record<string, unknown>;
const acq = (task: string, lock: string, extra: Ev = {}): Ev => ({ op: 'acquire', task, lock, ...extra });
const rel = (task: string, lock: string): Ev => ({ op: 'release', task, lock });
const irq = (task: string, op: string): Ev => ({ op, task });

function run(events: readonly Ev[]): { file: string; out: string[]; r: ReturnType<typeof checkTraceFile> } {
  const file = path.join(dir, `c${n++}.jsonl`);
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const out: string[] = [];
  const r = checkTraceFile(file, (l) => out.push(l));
  return { file, out, r };
}

describe('per-task interrupt context in traces', () => {
  it('one task in a hardirq or softirq handler while others take the same classes in process context: clean', () => {
    const { out, r } = run([
      acq('a', 'L', { type: 'spinlock' }), // a takes L in process context with irqs on: L is HARDIRQ-ON ...
      rel('a', 'L'),
      irq('h', 'hardirq_enter'), // ... so only irq-safe classes may be taken in h's handler
      acq('h', 'IRQL', { type: 'spinlock' }),
      acq('b', 'M', { type: 'mutex' }), // b: process context, irqs on, while h is in its handler
      rel('b', 'M'),
      acq('c', 'L'), // c: process context, irqs on
      irq('c', 'irqs_disable'),
      acq('c', 'IRQL'), // spin_lock_irqsave-style: irq-safe class with irqs off
      rel('c', 'IRQL'),
      irq('c', 'irqs_enable'),
      rel('c', 'L'),
      rel('h', 'IRQL'),
      irq('h', 'hardirq_exit'),
      irq('s', 'softirq_enter'),
      acq('s', 'Q', { type: 'spinlock' }), // Q is SOFTIRQ-safe
      acq('b', 'M'), // b again with irqs and softirqs on while s is in its softirq
      rel('b', 'M'),
      irq('d', 'bh_disable'),
      acq('d', 'Q'), // spin_lock_bh-style
      rel('d', 'Q'),
      irq('d', 'bh_enable'),
      rel('s', 'Q'),
      irq('s', 'softirq_exit'),
      acq('b', 'M'),
      rel('b', 'M'),
    ]);
    expect(out).toEqual([expect.stringMatching(/: 26 events, 6 tasks, 4 lock classes, 1 dependencies: no problems found$/)]);
    expect(r.rc).toBe(0);
  });

  it('a class taken in one task’s hardirq and with irqs on by another task is inconsistent, reported by that task with its own flags', () => {
    const { file, out, r } = run([
      irq('h', 'hardirq_enter'),
      acq('h', 'L', { type: 'spinlock' }),
      rel('h', 'L'),
      irq('b', 'irqs_disable'),
      irq('b', 'irqs_enable'),
      acq('b', 'L'), // while h is still in its handler: b is in process context with irqs on
    ]);
    expect(r.rc).toBe(1);
    expect(r.findings.map((f) => f.kind)).toEqual(['inconsistent']);
    expect(out).toContain('inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.');
    expect(out).toContain('b/2 [HC0[0]:SC0[0]:HE1:SE1] takes:');
    // print_irqtrace_events() of b: its own two events, with the trace lines as sites.
    const base = path.basename(file);
    const i = out.indexOf('irq event stamp: 2');
    expect(i).toBeGreaterThan(0);
    expect(out.slice(i, i + 5)).toEqual([
      'irq event stamp: 2',
      expect.stringMatching(new RegExp(`^hardirqs last  enabled at \\(2\\): \\[<ffffffff81[0-9a-f]{6}>\\] b: irqs_enable \\(${base}:5\\)$`)),
      expect.stringMatching(new RegExp(`^hardirqs last disabled at \\(1\\): \\[<ffffffff81[0-9a-f]{6}>\\] b: irqs_disable \\(${base}:4\\)$`)),
      'softirqs last  enabled at (0): [<0000000000000000>] 0x0',
      'softirqs last disabled at (0): [<0000000000000000>] 0x0',
    ]);
    expect(r.findings[0]?.tasks).toEqual(['b', 'h']);
    expect(r.findings[0]?.lines[0]).toBe(6);
  });

  it('softirq context of one task against bottom halves on in another: the SOFTIRQ kind', () => {
    const { out, r } = run([
      irq('s', 'softirq_enter'),
      acq('s', 'Q', { type: 'spinlock' }),
      rel('s', 'Q'),
      acq('p', 'Q'), // s is still in its softirq; p has softirqs on
      rel('p', 'Q'),
      irq('s', 'softirq_exit'),
    ]);
    expect(r.findings.map((f) => f.kind)).toEqual(['inconsistent']);
    expect(out).toContain('inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.');
    expect(out).toContain('p/2 [HC0[0]:SC0[0]:HE1:SE1] takes:');
    // p never changed its irq state: the kernel's counters are all zero, and the lines are left out.
    expect(out.some((l) => l.startsWith('irq event stamp:'))).toBe(false);
  });

  it('an irq-safe lock ordered before an irq-unsafe one across tasks is HARDIRQ-safe -> HARDIRQ-unsafe', () => {
    const { out, r } = run([
      irq('h', 'hardirq_enter'),
      acq('h', 'S', { type: 'spinlock' }),
      rel('h', 'S'),
      acq('u', 'U', { type: 'spinlock' }), // process context, irqs on: U is HARDIRQ-unsafe
      rel('u', 'U'),
      irq('h', 'hardirq_exit'),
      irq('p', 'irqs_disable'),
      acq('p', 'S'),
      acq('p', 'U'),
    ]);
    expect(r.findings.map((f) => f.title)).toEqual(['WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected']);
    expect(out).toContain('p/3 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:');
    expect(r.findings[0]?.classes).toEqual(['U', 'S']);
    expect(r.findings[0]?.tasks).toEqual(['p', 'h', 'u']);
  });
});

describe('exact reports', () => {
  it('every at: names the acquisition it describes, not the first task that validated the chain', () => {
    const { out, r } = run([
      acq('first', 'A', { type: 'mutex', stack: ['first_caller', 'first_main'] }),
      rel('first', 'A'),
      acq('second', 'A', { stack: ['mutex_lock', 'second_caller', 'second_main'] }), // same chain [A]: a chain-cache hit
      acq('second', 'A', { stack: ['again_caller', 'second_main'] }),
    ]);
    expect(r.findings.map((f) => f.kind)).toEqual(['recursive']);
    const at = out.filter((l) => l.includes(', at: '));
    expect(at).toEqual([
      'ffffffff80001040 (A){+.+.}-{3:3}, at: again_caller',
      'ffffffff80001040 (A){+.+.}-{3:3}, at: second_caller',
      ' #0: ffffffff80001040 (A){+.+.}-{3:3}, at: second_caller',
    ]);
    expect(out.join('\n')).not.toContain('first_caller');
    expect(r.findings[0]?.lines).toEqual([4, 3]);
  });

  it('the circular report names each held lock at its own acquisition in an interleaved trace', () => {
    const { out, r } = run([
      acq('t1', 'A', { type: 'mutex', stack: ['t1_takes_a'] }),
      acq('t2', 'A', { type: 'mutex', stack: ['t2_takes_a'] }), // t2 waits on A in reality; the trace has it later
      acq('t1', 'B', { type: 'mutex', stack: ['t1_takes_b'] }),
      rel('t1', 'B'),
      rel('t1', 'A'),
      rel('t2', 'A'),
      acq('t3', 'B', { stack: ['t3_takes_b'] }),
      acq('t3', 'A', { stack: ['t3_takes_a'] }),
    ]);
    expect(r.findings.map((f) => f.kind)).toEqual(['circular']);
    expect(out).toContain('ffffffff80001040 (A){+.+.}-{3:3}, at: t3_takes_a');
    expect(out).toContain('ffffffff80001080 (B){+.+.}-{3:3}, at: t3_takes_b');
    expect(out).toContain(' #0: ffffffff80001080 (B){+.+.}-{3:3}, at: t3_takes_b');
    expect(r.findings[0]?.classes).toEqual(['A', 'B']);
    expect(r.findings[0]?.lines).toEqual([8, 7, 3]);
    expect(r.findings[0]?.tasks).toEqual(['t3', 't1']);
  });
});
