/*
 * The stat_interval every suite's per_version_boot_params gives: kvm.sh's 15 s, or for runs
 * shorter than a minute max(2, floor(duration/4)), so that a 10 s run still prints several stats
 * lines (kvm.sh never runs that short).
 */

export const DEFAULT_STAT_INTERVAL = 15;

/** stat_interval for a run of `durationSec`. */
export function statIntervalFor(durationSec: number): number {
  return durationSec < 60 ? Math.max(2, Math.floor(durationSec / 4)) : DEFAULT_STAT_INTERVAL;
}
