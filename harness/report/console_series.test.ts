import { describe, expect, it } from 'vitest';
import { consoleSeries, rates } from './console_series.js';

// Stats lines in the kernel's shapes, as rcutorture and locktorture print them.
const RCU = `[    1.225636] rcu-torture:--- Start of test: nreaders=7
[    3.390517] rcu-torture: rtc: 000000000bcfe7f1 ver: 7 tfle: 0 rta: 7 rtaf: 0 rtf: 0 rtmbe: 0 rtmbkf: 0/0 rtbe: 0 rtbke: 0 rtbf: 0 rtb: 0 nt: 68 onoff: 1/1:4/4 2,2:1,174 2:180 (HZ=1000) barrier: 4/4:0 read-exits: 0 nocb-toggles: 0:0
[    3.390665] rcu-torture: Reader Pipe:  23189 2 0 0 0 0 0 0 0 0 0
[    3.390674] rcu-torture: Reader Batch:  23183 8 0 0 0 0 0 0 0 0 0
[    5.002885] rcu-torture: rtc: 00000000fe31b171 ver: 21 tfle: 0 rta: 21 rtaf: 0 rtf: 12 rtmbe: 0 rtmbkf: 0/0 rtbe: 0 rtbke: 0 rtbf: 0 rtb: 0 nt: 272 onoff: 5/5:7/7 1,11:0,174 22:265 (HZ=1000) barrier: 5/5:0 read-exits: 0 nocb-toggles: 0:0
[    5.002918] rcu-torture: Reader Pipe:  619438 22 0 0 0 0 0 0 0 0 0
[    5.002924] rcu-torture: Reader Batch:  619416 44 1 0 0 0 0 0 0 0 0
`;
const LOCK = `[    2.419389] mutex_lock-torture: Writes:  Total: 1296179  Max/Min: 226202/107912   Fail: 0 
[    2.419567] mutex_lock-torture: onoff: 4/4:6/6 0,2:0,25 4:42 (HZ=1000) 
[    4.004447] mutex_lock-torture: Writes:  Total: 2429998  Max/Min: 505507/220911   Fail: 0 
[    4.004455] rwsem_lock-torture: Reads :  Total: 67  Max/Min: 20/12   Fail: 0 
`;

describe('consoleSeries', () => {
  it('reads ver:, the last Reader Pipe/Batch and the onoff statistics from rcutorture stats', () => {
    const s = consoleSeries(RCU);
    expect(s.ver).toEqual([
      [3.390517, 7],
      [5.002885, 21],
    ]);
    expect(s.readerPipe).toEqual([619438, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(s.readerBatch?.slice(0, 3)).toEqual([619416, 44, 1]);
    expect(s.onoff[1]).toEqual({ t: 5.002885, onlineOk: 5, onlineTry: 5, offlineOk: 7, offlineTry: 7, onlineMinJ: 1, onlineMaxJ: 11, offlineMinJ: 0, offlineMaxJ: 174, onlineSumJ: 22, offlineSumJ: 265, hz: 1000 });
    expect(s.writes).toEqual([]);
  });

  it("reads locktorture's Writes/Reads totals with Max/Min and its onoff line", () => {
    const s = consoleSeries(LOCK);
    expect(s.writes).toEqual([
      { t: 2.419389, total: 1296179, max: 226202, min: 107912 },
      { t: 4.004447, total: 2429998, max: 505507, min: 220911 },
    ]);
    expect(s.reads).toEqual([{ t: 4.004455, total: 67, max: 20, min: 12 }]);
    expect(s.onoff).toHaveLength(1);
    expect(s.ver).toEqual([]);
  });

  it("reads a failing run's Reader Pipe (the kernel's `!!! Reader Pipe:` form), as recheck does", () => {
    const failing = `${RCU}[    6.100000] rcu-torture: !!! Reader Pipe:  1000 10 5 4 3 2 1 0 0 0 0
[    6.100010] rcu-torture: Reader Batch:  1000 12 3 0 0 0 0 0 0 0 0
[   10.000000] rcu-torture:--- End of test: FAILURE: nreaders=7
`;
    const s = consoleSeries(failing);
    expect(s.readerPipe).toEqual([1000, 10, 5, 4, 3, 2, 1, 0, 0, 0, 0]);
    expect(s.readerBatch?.slice(0, 3)).toEqual([1000, 12, 3]);
    expect(s.ver.map(([, v]) => v)).toEqual([7, 21]);
  });

  it('turns cumulative counts into rates between prints', () => {
    expect(
      rates([
        [2, 10],
        [4, 30],
      ]),
    ).toEqual([
      [2, 5],
      [4, 10],
    ]);
  });
});
