/*
 * An expected-failure step ends at its event: the battery writes the step's STOP file once a
 * console shows what the expectation waits for, and never for a step expected to pass.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { eventInConsoles, stopAtEvent } from './event_stop.js';
import { expectedEventSeen } from './expect.js';
import { SEED_CLASSES } from './battery_plan.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const SEED_REPORT = readFileSync(path.join(import.meta.dirname, '..', 'lockdep', 'test_support', 'seed_lkml_2021-05-02.txt'), 'utf8');
const BANGS = '[    4.000000] busted-torture: !!! Reader Pipe:  1 2 3 0 0 0 0 0 0 0 0\n';

describe('expectedEventSeen', () => {
  it("sees BUSTED's !!! line and the seed's circular report on both classes; nothing for a success", () => {
    expect(expectedEventSeen({ kind: 'torture-failure' }, `x\n${BANGS}`)).toBe(true);
    expect(expectedEventSeen({ kind: 'torture-failure' }, '[    4.000000] rcu-torture: Reader Pipe:  1 2 0\n')).toBe(false);
    const circular = { kind: 'circular', classes: SEED_CLASSES, exit: 1 } as const;
    expect(expectedEventSeen(circular, SEED_REPORT)).toBe(true);
    expect(expectedEventSeen({ ...circular, classes: ['cpu_hotplug_lock', 'other_lock'] }, SEED_REPORT)).toBe(false);
    expect(expectedEventSeen({ kind: 'success' }, `${BANGS}${SEED_REPORT}`)).toBe(false);
  });
});

describe('stopAtEvent', () => {
  it("writes the results directory's STOP file once a scenario's console shows the event", async () => {
    const resdir = makeTestTempDir('event');
    // Before the driver made the directory: nothing to read, no event.
    expect(eventInConsoles({ kind: 'torture-failure' }, path.join(resdir, 'none'))).toBe(false);
    const stop = path.join(resdir, 'STOP');
    const cancel = stopAtEvent({ kind: 'torture-failure' }, resdir);
    try {
      mkdirSync(path.join(resdir, 'BUSTED'));
      writeFileSync(path.join(resdir, 'BUSTED', 'console.log'), '[    1.000000] rcu-torture:--- Start of test\n');
      // Not yet: the console has no failure.
      expect(eventInConsoles({ kind: 'torture-failure' }, resdir)).toBe(false);
      writeFileSync(path.join(resdir, 'BUSTED', 'console.log'), BANGS, { flag: 'a' });
      await vi.waitFor(() => expect(existsSync(stop)).toBe(true), { timeout: 20_000, interval: 100 });
    } finally {
      cancel();
    }
  });
});
