/*
 * `--duration` as kvm.sh reads it: `^[0-9]+(s|m|h|d)?$`, and a BARE
 * NUMBER IS MINUTES (kvm.sh users read `--duration 10` as ten minutes; so do we). Returns seconds.
 * Errors are TortureError('USAGE'). Upper bound: MAX_RUN_SEC for duration + shutdown grace, because
 * the monitor's kill timer is a Node timer (a delay above 2^31-1 ms fires after 1 ms, which would
 * kill every guest at once) and guest jiffies (HZ=1000) live in a 32-bit word.
 */

import { TortureError } from '../errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION = /^([0-9]+)(s|m|h|d)?$/;

/** Longest run (duration + shutdown grace), in seconds: 2^31-1 ms, just under 24.9 days. */
export const MAX_RUN_SEC = Math.floor((2 ** 31 - 1) / 1000);

/** Parse a kvm.sh duration into seconds (>= 1). */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  const n = m?.[1] !== undefined ? Number.parseInt(m[1], 10) : Number.NaN;
  const unit = (m?.[2] ?? 'm') as keyof typeof UNIT_SECONDS;
  const secs = n * UNIT_SECONDS[unit];
  if (m === null || !Number.isSafeInteger(secs) || secs < 1) {
    throw new TortureError(
      'USAGE',
      `Cannot use --duration as 'the duration' must be N[s|m|h|d] with N >= 1 (a bare number is minutes, as in kvm.sh): current value is ${text === '' ? '(empty)' : text}`,
    );
  }
  return secs;
}

/** Check that a run of `durationSec` plus `graceSec` fits MAX_RUN_SEC (TortureError('USAGE') if not). */
export function checkRunLength(durationSec: number, graceSec: number): void {
  if (durationSec + graceSec > MAX_RUN_SEC) {
    throw new TortureError(
      'USAGE',
      `Cannot use --duration as 'the duration plus --shutdown-grace' must be at most ${MAX_RUN_SEC} s (24d; Node timers and 32-bit jiffies): current value is ${durationSec} s + ${graceSec} s`,
    );
  }
}
