import { describe, expect, it } from 'vitest';
import { ZERO_TIME, type LockStatClass } from '../formats/lock_stat.js';
import { LOCK_STAT_TOP, lockStatSection } from './lock_stat_table.js';

function cls(name: string, waitTotal: number): LockStatClass {
  return {
    name,
    version: 1,
    subclass: 0,
    writeWait: waitTotal === 0 ? ZERO_TIME : { nr: 2, min: 10, max: waitTotal - 10, total: waitTotal },
    readWait: ZERO_TIME,
    writeHold: { nr: 4, min: 1, max: 9, total: 20 },
    readHold: ZERO_TIME,
    bounces: [0, 0, 1, 0],
    contentionPoints: waitTotal === 0 ? [] : [{ site: 'writelock (<x>.ts:1)', count: 2 }],
    contendingPoints: [],
  };
}

describe('report lock_stat table', () => {
  it('shows the classes that waited longest first, at most LOCK_STAT_TOP', () => {
    const classes = Array.from({ length: 12 }, (_, i) => cls(`c${i}`, i * 1000));
    const html = lockStatSection(classes, '<a href="S/lock_stat">lock_stat</a>');
    expect(html).toContain(`top ${LOCK_STAT_TOP} of 12 classes by wait time`);
    const order = [...html.matchAll(/<tr><td>(c\d+)<\/td>/g)].map((m) => m[1]);
    expect(order).toEqual(['c11', 'c10', 'c9', 'c8', 'c7', 'c6', 'c5', 'c4', 'c3', 'c2']);
    // 11,000 ns total over 2 waits: 11.00 total, 5.50 average (µs); the site escaped.
    expect(html).toContain('<td class="num">11.00</td><td class="num">10.99</td><td class="num">5.50</td>');
    expect(html).toContain('writelock (&lt;x&gt;.ts:1) (2)');
  });

  it('is empty without lock_stat', () => {
    expect(lockStatSection(undefined, '')).toBe('');
    expect(lockStatSection([], '')).toBe('');
  });
});
