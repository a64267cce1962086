/*
 * The floors of a meaningful run: looked up per scenario (a repeat `TREE05.2` is a `TREE05`), at
 * least one of everything, a rate over the test time, CPU hotplug only when it is on.
 */
import { describe, expect, it } from 'vitest';
import type { ConsoleFacts } from '../formats/console_facts.js';
import { belowFloor, floorOf, hotplugShortfall, needed, type MeaningfulInput } from './meaningful.js';
import { SUITES } from './index.js';

const FACTS = { hotplug: null } as unknown as ConsoleFacts;

interface Case {
  readonly facts?: ConsoleFacts;
  readonly testSec?: number;
  readonly nrCpus?: number;
  readonly params?: Record<string, string>;
  readonly kconfig?: Record<string, string>;
}

function input(o: Case): MeaningfulInput {
  return {
    facts: o.facts ?? FACTS,
    testSec: o.testSec ?? 10,
    param: (p) => o.params?.[p],
    kconfig: (k) => o.kconfig?.[k],
    nrCpus: o.nrCpus ?? 4,
  };
}

describe('meaningful-run floors', () => {
  it('per scenario, a repeat by its base name, else the default', () => {
    const floors = SUITES.rcu.meaningful.floors;
    expect(floorOf(floors, 'TREE05.2')).toBe(floors['TREE05']);
    expect(floorOf(floors, 'TREE03')).toBe(floors.default);
  });

  it('at least one, else the rate over the test time; the clause names what, how long and the floor', () => {
    expect(needed(0.25, 0.04)).toBe(1);
    expect(needed(0.25, 10)).toBe(2);
    expect(belowFloor(2, 'grace periods', 0.25, 10)).toBeNull();
    expect(belowFloor(0, 'grace periods', 0.25, 0.04)).toBe('0 grace periods in 0.04 s of test (at least 1 needed, 0.25/s)');
    expect(belowFloor(0, 'grace periods', 0.25, 0)).toBe('0 grace periods (at least 1 needed)');
  });

  it('CPU hotplug is required only when it is on and the test outlasted the holdoff', () => {
    const hot = { params: { onoff_interval: '200', onoff_holdoff: '1' }, kconfig: { CONFIG_HOTPLUG_CPU: 'y' } };
    expect(hotplugShortfall(input(hot))).toBe('no CPU-hotplug statistics printed (onoff_interval=200)');
    expect(hotplugShortfall(input({ ...hot, testSec: 1.5 }))).toBeNull();
    expect(hotplugShortfall(input({ ...hot, nrCpus: 1 }))).toBeNull();
    expect(hotplugShortfall(input({ ...hot, kconfig: {} }))).toBeNull();
    const none = { ...FACTS, hotplug: { onlineOk: 0, onlineTry: 0, offlineOk: 0, offlineTry: 0 } };
    expect(hotplugShortfall(input({ ...hot, facts: none }))).toBe('0 CPU-hotplug operations in 10.0 s of test (onoff_interval=200, onoff_holdoff=1)');
    const some = { ...FACTS, hotplug: { onlineOk: 1, onlineTry: 1, offlineOk: 2, offlineTry: 2 } };
    expect(hotplugShortfall(input({ ...hot, facts: some }))).toBeNull();
  });
});
