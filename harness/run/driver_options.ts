/*
 * Values of the driver's own options beyond kvm.sh's plan options: --seed, --memory (kvm.sh's
 * syntax), --cpus. Each parser returns the value or throws a TortureError('USAGE') whose message
 * names what is wrong and what is expected (one line, exit 2).
 */

import { randomInt } from 'node:crypto';
import { TortureError } from '../errors.js';
import { MIN_HEAP_SHARE_MB } from '../guest/guest_spec.js';

export const MAX_SEED = 0xffffffff;

/** `--seed N`: 0 .. 2^32-1 (the width of torture_random's state); absent: a fresh random seed. */
export function parseSeed(text: string | undefined): number {
  if (text === undefined) return randomInt(0, MAX_SEED + 1);
  if (!/^[0-9]+$/.test(text) || Number(text) > MAX_SEED) {
    throw new TortureError('USAGE', `Cannot use --seed as 'N' must be an integer from 0 to ${MAX_SEED}: current value is ${text || '(empty)'}`);
  }
  return Number(text);
}

/** `--memory SIZE` as kvm.sh takes it (`^[0-9]+[MG]?$`, a bare number is MB), in MB. */
export function parseMemory(text: string): number {
  const m = /^([0-9]+)([MG]?)$/.exec(text);
  const mb = m === null ? NaN : Number(m[1]) * (m[2] === 'G' ? 1024 : 1);
  if (!(mb >= MIN_HEAP_SHARE_MB * 2)) {
    throw new TortureError('USAGE', `Cannot use --memory as 'SIZE' must be N, NM or NG (MB or GB) of at least ${MIN_HEAP_SHARE_MB * 2}M: current value is ${text || '(empty)'}`);
  }
  return mb;
}

/** `--cpus N`: a batch budget of at least one CPU. */
export function parseCpus(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new TortureError('USAGE', `Cannot use --cpus as 'N' must be an integer >= 1 (leave it out to run one scenario per batch): current value is ${text || '(empty)'}`);
  }
  return Number.parseInt(text, 10);
}
