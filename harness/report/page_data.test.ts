/*
 * The page's data block for a failing RCU run: its Reader Pipe chart is the failing histogram
 * (the kernel's `rcu-torture: !!! Reader Pipe:` line), read by the same grammar recheck judges with.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectReport } from './collect.js';
import { pageData } from './page_data.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const T = (s: number, msg: string): string => `[${s.toFixed(6).padStart(12, ' ')}] ${msg}`;

describe('pageData', () => {
  it("charts a failing RCU run's Reader Pipe (`!!! Reader Pipe:`) and judges it a failure", () => {
    const dir = path.join(makeTestTempDir('page'), 'BUSTED');
    const lines = [
      T(0.1, 'rcu-torture:--- Start of test: nreaders=7'),
      T(2, 'rcu-torture: rtc: 00000000a1b2c3d4 ver: 100 tfle: 0 rta: 101 rtaf: 0 rtf: 90'),
      T(2, 'rcu-torture: Reader Pipe:  1000 10 0 0 0 0 0 0 0 0 0'),
      T(4, 'rcu-torture: rtc: 00000000a1b2c3d5 ver: 250 tfle: 0 rta: 251 rtaf: 0 rtf: 240'),
      T(4, 'rcu-torture: !!! Reader Pipe:  2000 10 5 4 3 2 1 0 0 0 0'),
      T(4, 'rcu-torture: Reader Batch:  2000 12 3 0 0 0 0 0 0 0 0'),
      T(10, 'rcu-torture:--- End of test: FAILURE: nreaders=7'),
    ];
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'console.log'), lines.join('\n') + '\n');
    writeFileSync(path.join(dir, 'guest-retval'), '0\n');
    const m = collectReport(dir);
    expect(m.kind).toBe('scenario');
    expect(m.scenarios[0]?.summary.verdict).toBe('failure');
    const s = pageData(m).scenarios[0];
    expect(s?.readerPipe).toEqual([2000, 10, 5, 4, 3, 2, 1, 0, 0, 0, 0]);
    expect(s?.gpRate.length).toBe(2);
  });
});
