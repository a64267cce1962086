/*
 * Lock usage bits (lockdep_states.h order): per state (HARDIRQ, SOFTIRQ) USED_IN, USED_IN_READ,
 * ENABLED, ENABLED_READ, then LOCK_USED. Pure functions over masks; no shared state.
 */

export const LOCK_USED_IN_HARDIRQ = 0;
export const LOCK_USED_IN_HARDIRQ_READ = 1;
export const LOCK_ENABLED_HARDIRQ = 2;
export const LOCK_ENABLED_HARDIRQ_READ = 3;
export const LOCK_USED_IN_SOFTIRQ = 4;
export const LOCK_USED_IN_SOFTIRQ_READ = 5;
export const LOCK_ENABLED_SOFTIRQ = 6;
export const LOCK_ENABLED_SOFTIRQ_READ = 7;
export const LOCK_USED = 8;

export const USAGE_READ_MASK = 1;
export const USAGE_DIR_MASK = 2;

/** USED_IN_* bits (write and read) of both states. */
export const LOCKF_USED_IN_IRQ_ALL = 0x33;
/** ENABLED_* bits (write and read) of both states. */
export const LOCKF_ENABLED_IRQ_ALL = 0xcc;
/** Write-only usage bits (LOCKF_IRQ): masking the read bits out. */
export const LOCKF_IRQ = 0x55;

export const USAGE_STR = [
  'IN-HARDIRQ-W',
  'IN-HARDIRQ-R',
  'HARDIRQ-ON-W',
  'HARDIRQ-ON-R',
  'IN-SOFTIRQ-W',
  'IN-SOFTIRQ-R',
  'SOFTIRQ-ON-W',
  'SOFTIRQ-ON-R',
  'INITIAL USE',
] as const;

/** exclusive_bit(): USED_IN <-> ENABLED of the same state, read bit cleared. */
export function exclusiveBit(bit: number): number {
  const state = bit & ~(USAGE_READ_MASK | USAGE_DIR_MASK);
  const dir = bit & USAGE_DIR_MASK;
  return state | (dir ^ USAGE_DIR_MASK);
}

/** exclusive_mask(): for every set USED_IN bit, the ENABLED write and read bits of its state. */
export function exclusiveMask(mask: number): number {
  let out = 0;
  for (let bit = 0; bit < LOCK_USED; bit++) {
    if (mask & (1 << bit)) {
      const ex = exclusiveBit(bit);
      out |= (1 << ex) | (1 << (ex | USAGE_READ_MASK));
    }
  }
  return out;
}

/** original_mask(): the inverse of exclusive_mask(). */
export function originalMask(mask: number): number {
  return exclusiveMask(mask);
}

/** state_name(): HARDIRQ, HARDIRQ-READ, SOFTIRQ, SOFTIRQ-READ. */
export function stateName(bit: number): string {
  const base = bit >> 2 === 0 ? 'HARDIRQ' : 'SOFTIRQ';
  return bit & USAGE_READ_MASK ? `${base}-READ` : base;
}

function usageChar(mask: number, bit: number): string {
  let c = '.';
  if (mask & (1 << (bit + USAGE_DIR_MASK))) c = '+';
  if (mask & (1 << bit)) c = c === '+' ? '?' : '-';
  return c;
}

/** get_usage_chars(): hardirq-write, hardirq-read, softirq-write, softirq-read. */
export function usageChars(mask: number): string {
  return (
    usageChar(mask, LOCK_USED_IN_HARDIRQ) +
    usageChar(mask, LOCK_USED_IN_HARDIRQ_READ) +
    usageChar(mask, LOCK_USED_IN_SOFTIRQ) +
    usageChar(mask, LOCK_USED_IN_SOFTIRQ_READ)
  );
}

/** What mark_usage() reads of an acquisition (held_locks.ts HeldLock has it). */
export interface UsageContext {
  /** 0 write, 1 read, 2 recursive read. */
  readonly read: number;
  readonly trylock: boolean;
  readonly hardirq: boolean;
  readonly softirq: boolean;
  readonly irqsOff: boolean;
  readonly bhOff: boolean;
}

/** The irq state of an acquisition as one small integer (acquire_hit.ts; LockdepEnv.irqBits). */
export const IRQ_SOFTIRQ = 1;
export const IRQ_HARDIRQ = 2;
export const IRQ_IRQS_OFF = 4;
export const IRQ_BH_OFF = 8;
/** In a threaded hardirq handler (LockdepIrqState.hardirqThreaded): not used by mark_usage(). */
export const IRQ_THREADED = 16;

/** LockdepIrqState as IRQ_* bits. */
export function irqBitsOf(s: { readonly hardirq: boolean; readonly softirq: boolean; readonly irqsDisabled: boolean; readonly bhDisabled: boolean; readonly hardirqThreaded?: boolean }): number {
  return (s.softirq ? IRQ_SOFTIRQ : 0) | (s.hardirq ? IRQ_HARDIRQ : 0) | (s.irqsDisabled ? IRQ_IRQS_OFF : 0) | (s.bhDisabled ? IRQ_BH_OFF : 0) | (s.hardirqThreaded === true ? IRQ_THREADED : 0);
}

/** The usage bits mark_usage() sets for one acquisition, from its context when it was taken. */
export function usageBitsOf(hl: UsageContext): number {
  const read = hl.read;
  const softOn = !hl.irqsOff && !hl.bhOff && !hl.softirq;
  let need = 1 << LOCK_USED;
  if (!hl.trylock) {
    if (hl.hardirq) need |= 1 << (read !== 0 ? LOCK_USED_IN_HARDIRQ_READ : LOCK_USED_IN_HARDIRQ);
    if (hl.softirq) need |= 1 << (read !== 0 ? LOCK_USED_IN_SOFTIRQ_READ : LOCK_USED_IN_SOFTIRQ);
  }
  if (!hl.irqsOff) {
    need |= 1 << (read !== 0 ? LOCK_ENABLED_HARDIRQ_READ : LOCK_ENABLED_HARDIRQ);
    if (softOn) need |= 1 << (read !== 0 ? LOCK_ENABLED_SOFTIRQ_READ : LOCK_ENABLED_SOFTIRQ);
  }
  return need;
}

/* usageBitsOf() of every (read != 0, trylock, irq & 15): the fast path's mark_usage() test is one load. */
const NEED = new Int32Array(64);
for (let i = 0; i < 64; i++) {
  const hardirq = (i & IRQ_HARDIRQ) !== 0;
  NEED[i] = usageBitsOf({ read: (i & 32) !== 0 ? 1 : 0, trylock: (i & 16) !== 0, hardirq, softirq: (i & IRQ_SOFTIRQ) !== 0, irqsOff: (i & IRQ_IRQS_OFF) !== 0 || hardirq, bhOff: (i & IRQ_BH_OFF) !== 0 });
}

/** usageBitsOf() of an acquisition given as (read, trylock, IRQ_* bits). */
export function usageNeed(read: number, trylock: boolean, irq: number): number {
  return NEED[(read !== 0 ? 32 : 0) | (trylock ? 16 : 0) | (irq & 15)] ?? 0;
}
