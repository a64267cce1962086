/*
 * Dates as kvm.sh's scripts print them: `date` output (`Wed Nov 25 13:47:56 UTC 2026`, in UTC so
 * logs compare across hosts) and the results-directory datestamp `YYYY.MM.DD-HH.MM.SS` (local time,
 * as `date +%Y.%m.%d-%H.%M.%S`). Nothing else.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const p2 = (n: number): string => String(n).padStart(2, '0');

/** `date` in the C locale, UTC. */
export function dateText(d: Date = new Date()): string {
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} UTC ${d.getUTCFullYear()}`;
}

/** kvm.sh's default datestamp. */
export function datestamp(d: Date = new Date()): string {
  return `${d.getFullYear()}.${p2(d.getMonth() + 1)}.${p2(d.getDate())}-${p2(d.getHours())}.${p2(d.getMinutes())}.${p2(d.getSeconds())}`;
}
