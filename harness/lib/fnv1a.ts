/*
 * FNV-1a, 32-bit: the one string hash of the project (lock-class slots, shared-memory region
 * names, RCU callback ids, report addresses). Chosen for being tiny, deterministic across threads
 * and processes, and good enough for open-addressing tables that re-check the key on a hit.
 *
 * Strings hash their UTF-16 code units, byte arrays their bytes (equal for ASCII names).
 */

export const FNV1A_OFFSET_BASIS = 0x811c9dc5;
const FNV1A_PRIME = 0x01000193;

/** One FNV-1a step: mix byte (or code unit) `x` into hash `h` (for scanners that hash as they read). */
export function fnv1aStep(h: number, x: number): number {
  return Math.imul(h ^ x, FNV1A_PRIME);
}

/** FNV-1a of `data` as an unsigned 32-bit number; `seed` replaces the offset basis. */
export function fnv1a(data: string | Uint8Array, seed = FNV1A_OFFSET_BASIS): number {
  let h = seed >>> 0;
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++) h = fnv1aStep(h, data.charCodeAt(i));
  } else {
    for (let i = 0; i < data.length; i++) h = fnv1aStep(h, data[i] ?? 0);
  }
  return h >>> 0;
}
