/*
 * The rtmutex family of lib/locking-selftest.c: with CONFIG_RT_MUTEXES every deadlock row of
 * the table (DO_TESTCASE_6R / DO_TESTCASE_6: A-A .. A-B-C-D-B-C-D-A, double unlock) has a
 * seventh column, dotest_rt(name##_rtmutex, FAILURE, LOCKTYPE_RTMUTEX), and the header ends in
 * `|rtmutex`. Lockdep sees an rt_mutex as it sees a mutex (a sleeping lock, wait type SLEEP), of
 * its own classes (rtmutex_A .., rtmutex_X1/X2 sharing class rtmutex_X), so every pattern that
 * is a deadlock for a mutex is one for an rt_mutex: each testcase expects FAILURE.
 */

import type { Kind } from './selftest_machine.js';

/** The columns dotest_rt() adds to the six kinds' rows. */
export const RTMUTEX_COLUMNS: readonly Kind[] = ['rtmutex'];
/** What the header line prints after the six kinds' columns. */
export const RTMUTEX_HEADER = 'rtmutex';
