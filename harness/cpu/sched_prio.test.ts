/*
 * The runqueue pick with priorities (sched_prio.ts): real-time tasks first, best prio first,
 * SCHED_NORMAL ones in FIFO order after them (test_support/sched_prio_order.ts).
 */

import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { runTestGuest } from '../test_support/run_until.js';

describe('task priorities in the scheduler', () => {
  it('a runnable SCHED_FIFO task is picked before SCHED_NORMAL ones, the better rt prio first', async () => {
    const run = await runTestGuest({ nrCpus: 1, durationSec: 20, modules: [distModuleUrl('harness/cpu/test_support/sched_prio_order')] });
    expect(run.console).toMatch(/sched_prio_order: fifo_hi\(49\) fifo_lo\(98\) normal_a\(120\) normal_b\(120\)\n/);
    expect(run.result?.end).toBe('poweroff');
  });
});
