/*
 * `--duration` as kvm.sh reads it (reference/kernel.md §2.1): `^[0-9]+(s|m|h|d)?$`, and a BARE
 * NUMBER IS MINUTES (kvm.sh users read `--duration 10` as ten minutes; so do we). Returns seconds.
 * Errors are TortureError('USAGE'). Does not impose an upper bound beyond a safe integer.
 */

import { TortureError } from '../errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION = /^([0-9]+)(s|m|h|d)?$/;

/** Parse a kvm.sh duration into seconds (>= 1). */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  const n = m?.[1] !== undefined ? Number.parseInt(m[1], 10) : Number.NaN;
  const unit = (m?.[2] ?? 'm') as keyof typeof UNIT_SECONDS;
  const secs = n * UNIT_SECONDS[unit];
  if (m === null || !Number.isSafeInteger(secs) || secs < 1) {
    throw new TortureError(
      'USAGE',
      `Cannot use --duration as 'the duration' must be N[s|m|h|d] with N >= 1 (a bare number is minutes, as in kvm.sh): current value is ${text}`,
    );
  }
  return secs;
}
