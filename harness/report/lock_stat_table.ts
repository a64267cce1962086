/*
 * The report's lock_stat table (CONFIG_LOCK_STAT=y scenarios; harness/formats/lock_stat.ts): the
 * classes that waited longest, the first question about a slow lock, with their contentions,
 * wait and hold times and where they contended most; the whole file is linked beside it. Plain
 * HTML, no script. Times are microseconds as /proc/lock_stat prints them.
 */

import { contentions, snprintTime, topByWaitTime, waitTotal, type LockStatClass, lockStatName } from '../formats/lock_stat.js';

/** Rows shown per scenario. */
export const LOCK_STAT_TOP = 10;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function row(c: LockStatClass): string {
  const waits = contentions(c);
  const maxWait = Math.max(c.writeWait.max, c.readWait.max);
  const holds = c.writeHold.nr + c.readHold.nr;
  const holdTotal = c.writeHold.total + c.readHold.total;
  const top = [...c.contentionPoints].sort((a, b) => b.count - a.count)[0];
  const cells = [
    esc(lockStatName(c)),
    waits.toLocaleString('en-US'),
    snprintTime(waitTotal(c)),
    snprintTime(maxWait),
    snprintTime(waits > 0 ? Math.floor(waitTotal(c) / waits) : 0),
    (c.bounces[2] + c.bounces[3]).toLocaleString('en-US'),
    holds.toLocaleString('en-US'),
    snprintTime(holds > 0 ? Math.floor(holdTotal / holds) : 0),
  ];
  return `<tr>${cells.map((x, i) => `<td${i > 0 ? ' class="num"' : ''}>${x}</td>`).join('')}<td>${top === undefined ? '' : `${esc(top.site)} (${top.count.toLocaleString('en-US')})`}</td></tr>`;
}

/** A scenario's table of the LOCK_STAT_TOP classes by total wait time ('' without lock_stat). */
export function lockStatSection(classes: readonly LockStatClass[] | undefined, fileLink: string): string {
  if (classes === undefined || classes.length === 0) return '';
  const top = topByWaitTime(classes, LOCK_STAT_TOP);
  return `<details open><summary>lock_stat: top ${top.length} of ${classes.length} classes by wait time ${fileLink}</summary>
<table class="coverage lockstat"><tr><th>class</th><th>contentions</th><th>waittime-total µs</th><th>waittime-max µs</th><th>waittime-avg µs</th><th>con-bounces</th><th>acquisitions</th><th>holdtime-avg µs</th><th>top contention point</th></tr>${top.map(row).join('')}</table></details>`;
}
