/*
 * The console grammar: each line kind in the kernel's form (the failing `!!! Reader Pipe:` too),
 * and the claim that makes it one grammar: no other product file has a regular expression for
 * `ver:`, `onoff:` or `Reader Pipe`.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTestFile, regexLiterals, repoSources } from '../test_support/boundary.js';
import { BADNESS_KINDS, isBadnessLine, isSplatStart, liveVer, lockStats, lockdepTitles, onoffCounts, onoffStats, readerHistogram, stampSeconds, stripStamp, verWord } from './console_lines.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('console_lines', () => {
  it('reads every stats line in the kernel form', () => {
    const stats = '[    3.390517] rcu-torture: rtc: 000000000bcfe7f1 ver: 7 tfle: 0 onoff: 1/1:4/4 2,2:1,174 2:180 (HZ=1000) barrier: 4/4:0';
    expect(stampSeconds(stats)).toBe(3.390517);
    expect(stripStamp(stats).startsWith('rcu-torture: rtc:')).toBe(true);
    expect(verWord(stats)).toBe('7');
    expect(liveVer('[   10.0] rcu-torture: rtc: (null) VER: 300 tfle: 0')).toBe(300);
    expect(onoffCounts(stats)).toEqual({ onlineOk: 1, onlineTry: 1, offlineOk: 4, offlineTry: 4 });
    expect(onoffStats(stats)).toMatchObject({ onlineMinJ: 2, onlineMaxJ: 2, offlineMinJ: 1, offlineMaxJ: 174, onlineSumJ: 2, offlineSumJ: 180, hz: 1000 });
    expect(readerHistogram('[ 2.0] rcu-torture: Reader Pipe:  23189 2 0')).toEqual({ kind: 'Pipe', failed: false, buckets: [23189, 2, 0] });
    expect(readerHistogram('[ 6.1] rcu-torture: !!! Reader Pipe:  1000 10 5')).toEqual({ kind: 'Pipe', failed: true, buckets: [1000, 10, 5] });
    expect(readerHistogram('[ 2.0] rcu-torture: Reader Batch:  23183 8 0')?.kind).toBe('Batch');
    expect(lockStats('[ 2.4] mutex_lock-torture: Writes:  Total: 1296179  Max/Min: 226202/107912   Fail: 0 ')).toEqual({ kind: 'Writes', total: 1296179, max: 226202, min: 107912 });
    expect(lockStats('[ 4.0] rwsem_lock-torture: Reads :  Total: 67  Max/Min: 20/12   Fail: 0')?.kind).toBe('Reads');
  });

  it('finds badness and lockdep titles as console-badness.sh and lockdep print them', () => {
    expect(isBadnessLine('[ 5.0] WARNING: possible circular locking dependency detected')).toBe(true);
    expect(isBadnessLine('[ 0.1] Warning: unable to open an initial console')).toBe(false);
    expect(lockdepTitles(['', '======================================================', 'WARNING: possible circular locking dependency detected', '====================', 'not a title'])).toEqual([
      'WARNING: possible circular locking dependency detected',
    ]);
    // SLUB debug's reports (kernels/mm/slub_check.ts) are console-badness.sh's BUG lines, not lockdep titles.
    const slub = ['='.repeat(77), 'BUG rcu_torture_rdr (Not tainted): Poison overwritten', '-'.repeat(77)];
    expect(isBadnessLine(`[ 2.0] ${slub[1] ?? ''}`)).toBe(true);
    expect(BADNESS_KINDS.find((k) => k.key === 'bugs')?.re?.test(slub[1] ?? '')).toBe(true);
    expect(isSplatStart(`[ 2.0] ${slub[0] ?? ''}`)).toBe(true);
    expect(lockdepTitles(slub)).toEqual([]);
    expect(lockdepTitles(['='.repeat(25), 'WARNING: held lock freed!'])).toEqual(['WARNING: held lock freed!']);
    // print_lock_invalid_wait_context()'s title is the one in brackets.
    expect(lockdepTitles(['=============================', '[ BUG: Invalid wait context ]', '=====================================', 'WARNING: bad unlock balance detected!'])).toEqual([
      '[ BUG: Invalid wait context ]',
      'WARNING: bad unlock balance detected!',
    ]);
    expect(isBadnessLine('[ 5.0] [ BUG: Invalid wait context ]')).toBe(true);
  });

  it('is the only product file with a regular expression for ver:, onoff: or Reader Pipe', () => {
    const owners = [...repoSources(ROOT)]
      .filter(([f]) => !isTestFile(f))
      .filter(([, src]) => regexLiterals(src).some((re) => /ver:|onoff:|Reader Pipe/i.test(re)))
      .map(([f]) => f);
    expect(owners).toEqual(['harness/formats/console_lines.ts']);
  });
});
