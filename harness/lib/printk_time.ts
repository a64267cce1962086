/*
 * The CONFIG_PRINTK_TIME prefix of every console line, `[    2.345678]` (seconds since boot,
 * right-aligned to 5, microseconds to 6), as printk's print_time() writes it. One definition for
 * the CPUs (their printk) and the guest process (its own messages).
 */

/** `[sssss.uuuuuu]` for `us` microseconds since boot (negative clamps to 0). */
export function printkTime(us: number): string {
  const t = Math.max(0, Math.floor(us));
  return `[${String(Math.floor(t / 1e6)).padStart(5, ' ')}.${String(t % 1e6).padStart(6, '0')}]`;
}

/** The prefix for now, given the boot instant on performance.now()'s clock. */
export function printkStamp(bootMs: number): string {
  return printkTime((performance.now() - bootMs) * 1000);
}
