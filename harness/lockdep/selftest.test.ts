import { describe, expect, it } from 'vitest';
import { locking_selftest } from './selftest.js';

describe('locking_selftest()', () => {
  it('passes every testcase and prints the kernel table and closing line', () => {
    const lines: string[] = [];
    const r = locking_selftest((l) => lines.push(l));
    expect(r.failed).toBe(0);
    expect(r.passed).toBeGreaterThan(200);
    expect(lines[1]).toBe('| Locking API testsuite:');
    expect(lines[3]).toBe('                                 | spin |wlock |rlock |mutex | wsem | rsem |rtmutex');
    expect(lines).toContain('                     A-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |');
    // The rtmutex family: one column of 8 rows (7 deadlock patterns and double unlock).
    expect(lines).toContain('                    double unlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |');
    expect(lines.some((l) => l.includes('FAILED|'))).toBe(false);
    // wait_context_tests(): 9 contexts x 4 inner kinds (236 + 1 + 36 ww before them).
    expect(lines).toContain('  | wait context tests |');
    expect(lines).toContain('                                 | rcu  | raw  | spin |mutex |');
    expect(lines).toContain('in hardirq context (not threaded):  ok  |  ok  |  ok  |  ok  |');
    // ww_tests(): 36 testcases on the kernel's own ww_mutex (selftest_ww.ts).
    expect(lines).toContain('  | Wound/wait tests |');
    expect(lines).toContain('                  ww api failures:  ok  |  ok  |  ok  |');
    expect(lines).toContain('                 EDEADLK handling:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |');
    expect(lines).toContain('                                 |block | try  |context|');
    expect(lines).toContain('                         spinlock:  ok  |  ok  |  ok  |');
    // 273 + 8 rtmutex + 36 ww.
    expect(r.passed).toBe(317);
    expect(lines.at(-2)).toBe(`Good, all ${r.passed} testcases passed! |`);
    expect(lines.at(-1)).toBe('---------------------------------');
  });
});
