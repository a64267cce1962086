import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBootWords } from '../config/fragment_parse.js';
import { SUITES, TORTURE_SUITES } from './index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('a suite declares its battery role', () => {
  it('says what the nightly battery runs today: groups, torture.sh weights, lock hotplug boot args, BUSTED', () => {
    expect(TORTURE_SUITES.map((s) => SUITES[s].battery.group)).toEqual(['rcutorture', 'locktorture', 'objecttorture']);
    // objecttorture (ours) weighs as locktorture; its scenarios carry their own hotplug.
    expect(SUITES.object.battery.weight).toBe(1);
    // torture.sh's 7:1 (rcutorture:locktorture); the lock scenarios carry their own hotplug in
    // their .boot, which battery boot arguments would override (they come after it).
    expect(SUITES.rcu.battery.weight).toBe(7);
    expect(SUITES.lock.battery.weight).toBe(1);
    expect(SUITES.lock.battery.bootargs).toBe('');
    expect(SUITES.rcu.battery.bootargs).toBe('');
  });

  it('names boot arguments the driver accepts and a busted scenario that exists', () => {
    for (const s of TORTURE_SUITES) {
      const b = SUITES[s].battery;
      expect(() => parseBootWords(b.bootargs, 'battery', s, false)).not.toThrow();
      expect(existsSync(path.join(ROOT, 'configs', s, b.busted)), `${s}: ${b.busted}`).toBe(true);
    }
  });
});
