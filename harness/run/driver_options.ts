/*
 * The kind of the driver's `--memory SIZE` (harness/cli/option_kinds.ts): kvm.sh's syntax, with
 * a floor that only the guest knows (each of its threads needs a V8 heap share), which is why
 * this kind lives beside the driver and not with the shared kinds.
 */

import { kind } from '../cli/option_kinds.js';
import { MIN_HEAP_SHARE_MB } from '../guest/guest_spec.js';

/** `--memory SIZE` as kvm.sh takes it (`^[0-9]+[MG]?$`, a bare number is MB), in MB. */
export const MEMORY = kind('SIZE', 'SIZE', `N, NM or NG (MB or GB) of at least ${MIN_HEAP_SHARE_MB * 2}M`, (t) => {
  const m = /^([0-9]+)([MG]?)$/.exec(t);
  const mb = m === null ? NaN : Number(m[1]) * (m[2] === 'G' ? 1024 : 1);
  return mb >= MIN_HEAP_SHARE_MB * 2 ? mb : null;
});
