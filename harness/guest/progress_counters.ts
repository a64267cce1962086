/*
 * A running guest's live counters, read from its own console as the lines go by: the last `ver:`
 * of rcutorture's stats (grace periods), the last `Writes:  Total:` of locktorture's (acquisitions),
 * the last `onoff:` field (hotplug operations), and every line console-badness.sh would flag
 * (errors so far), and how long the guest took to boot. The guest sends them to the driver over its IPC channel for the live display;
 * they are a view of the console, never a verdict (recheck judges the files). The lines are read
 * with the one console grammar (harness/formats/console_lines.ts) that recheck and the report use.
 */

import { isBadnessLine, liveVer, lockStats, onoffCounts } from '../formats/console_lines.js';
import type { GuestProgress } from './guest_spec.js';

export class ProgressCounters {
  #p: { -readonly [K in keyof GuestProgress]: GuestProgress[K] } = { kind: 'progress', gps: null, acquisitions: null, hotplugOk: 0, hotplugTried: 0, errors: 0, bootSec: null };
  #changed = true;

  /** Account one console line (with or without its timestamp). */
  line(l: string): void {
    const ver = liveVer(l);
    if (ver !== null) this.#set('gps', ver);
    const w = lockStats(l);
    if (w?.kind === 'Writes') this.#set('acquisitions', w.total);
    const o = onoffCounts(l);
    if (o !== null) {
      this.#set('hotplugOk', o.onlineOk + o.offlineOk);
      this.#set('hotplugTried', o.onlineTry + o.offlineTry);
    }
    if (isBadnessLine(l)) this.#set('errors', this.#p.errors + 1);
  }

  /** The guest's boot ended after `sec` seconds (sent with the counters). */
  boot(sec: number): void {
    this.#p.bootSec = sec;
    this.#changed = true;
  }

  #set<K extends 'gps' | 'acquisitions' | 'hotplugOk' | 'hotplugTried' | 'errors'>(k: K, v: number): void {
    if (this.#p[k] !== v) {
      this.#p[k] = v;
      this.#changed = true;
    }
  }

  /** The counters if they changed since the last call, else null. */
  take(): GuestProgress | null {
    if (!this.#changed) return null;
    this.#changed = false;
    return { ...this.#p };
  }
}
