/*
 * mm/slub.c's CONFIG_SLUB_DEBUG half, reduced: the `slub_debug=` boot parameter
 * (setup_slub_debug, parse_slub_debug_flags, kmem_cache_flags), the debug object layout
 * (calculate_sizes), poisoning and red zones (init_object), alloc/free tracking (set_track), and
 * the checks with their reports (check_object, check_bytes_and_report, on_freelist). slub.ts
 * calls them from its debug paths (alloc_debug_processing, free_debug_processing), which run
 * under the node's list_lock, as the kernel's debug caches do.
 *
 * Objects are bytes of the guest's shared memory (slub.ts: a slab is SLAB_BYTES of its cache's
 * arena), so a debug cache's object carries the kernel's layout, in bytes from the slot start:
 *
 *   [red_left_pad: left red zone]  object_size bytes of object  [inuse - object_size: right red
 *   zone]  [8: free pointer, when it may not overlay the object]  [2 x TRACK_BYTES: alloc and
 *   free track, SLAB_STORE_USER]  [padding to `size`, POISON_INUSE; 8 more with SLAB_RED_ZONE]
 *
 * The free pointer is one Int32 (an object number + 1, see slub.ts) in an 8-byte slot; a track is
 * four Int32 words: stack depot handle (stack_depot.ts; 0 = never set, -1 = depot full), cpu,
 * pid, jiffies. The report text is slub_report.ts's.
 */

import { kapi } from '../../harness/kapi.js';
import { ModuleParams } from '../moduleparam.js';
import { stack_depot_save } from './stack_depot.js';

export const SLAB_CONSISTENCY_CHECKS = 0x00000100;
export const SLAB_RED_ZONE = 0x00000400;
export const SLAB_POISON = 0x00000800;
export const SLAB_HWCACHE_ALIGN = 0x00002000;
export const SLAB_STORE_USER = 0x00010000;
export const SLAB_TRACE = 0x00200000;
/** Internal: the object itself is poisoned (SLAB_POISON and no constructor). */
export const __OBJECT_POISON = 0x80000000 | 0;
/** SLAB_DEBUG_FLAGS: any of these makes a cache a debug cache (and enables the static key). */
export const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;
/** DEBUG_DEFAULT_FLAGS: what a bare `slub_debug` (or `slub_debug=,cache`) switches on. */
export const DEBUG_DEFAULT_FLAGS = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;

export const POISON_INUSE = 0x5a;
export const POISON_FREE = 0x6b;
export const POISON_END = 0xa5;
export const SLUB_RED_INACTIVE = 0xbb;
export const SLUB_RED_ACTIVE = 0xcc;

/** One slab: a 2 KiB page here (the kernel's order-0 page is 4 KiB). */
export const SLAB_BYTES = 2048;
/** sizeof(void *) of the layout rules. */
const WORD = 8;
const TRACK_WORDS = 4;
export const TRACK_BYTES = TRACK_WORDS * 4;
export const TRACK_ALLOC = 0;
export const TRACK_FREE = 1;
/** TRACK_ADDRS_COUNT: frames kept per track. */
const TRACK_ADDRS_COUNT = 16;

/* ---------------- slub_debug= ---------------- */

/** Kernel parameters of this file (no module prefix); every suite, since every guest boots SLUB. */
export const slub_debug_params = new ModuleParams('');
/* The kernel skips an unknown flag letter with a message; the driver refuses it up front. */
const SLUB_DEBUG_RULE = /^;*[-FZPUTAOfzputao]*(,[^;,\s][^;\s]*)?(;+[-FZPUTAOfzputao]*(,[^;,\s][^;\s]*)?)*;*$/;
/** Not on the boot line: distinguishes `slub_debug` absent from a bare `slub_debug` (all flags). */
const UNSET = '\u0000unset';
const slub_debug_param = slub_debug_params.param('charp', 'slub_debug', '', 'SLUB debugging: F Z P U T flags, `-` none, [,cache,...] per cache, blocks by `;`', {
  pattern: SLUB_DEBUG_RULE,
  expect: 'flags from F Z P U T A O - then optional ,cache,... blocks separated by ; (e.g. FZPU or FZPU,rcu_torture_rdr)',
  quiet: true,
});

interface DebugBlock {
  readonly flags: number;
  /** Cache names (a trailing `*` is a prefix glob); null: the block sets the global flags. */
  readonly slabs: readonly string[] | null;
}

/** parse_slub_debug_flags() over the whole string: its blocks, and the unknown option letters. */
export function parse_slub_debug(str: string): { blocks: DebugBlock[]; unknown: string[] } {
  const blocks: DebugBlock[] = [];
  const unknown: string[] = [];
  for (const raw of str.split(';')) {
    if (raw === '') continue;
    const comma = raw.indexOf(',');
    const opts = comma < 0 ? raw : raw.slice(0, comma);
    let flags = 0;
    if (opts === '' && comma >= 0) flags = DEBUG_DEFAULT_FLAGS;
    for (const ch of opts.toLowerCase()) {
      if (ch === '-') flags = 0;
      else if (ch === 'f') flags |= SLAB_CONSISTENCY_CHECKS;
      else if (ch === 'z') flags |= SLAB_RED_ZONE;
      else if (ch === 'p') flags |= SLAB_POISON;
      else if (ch === 'u') flags |= SLAB_STORE_USER;
      else if (ch === 't') flags |= SLAB_TRACE;
      else if (ch !== 'a' && ch !== 'o') unknown.push(ch);
    }
    blocks.push({ flags, slabs: comma < 0 ? null : raw.slice(comma + 1).split(',').filter((n) => n !== '') });
  }
  return { blocks, unknown };
}

interface SlubDebugState {
  /** slub_debug: the flags every cache gets. */
  readonly global: number;
  /** slub_debug_string's blocks with a cache list. */
  readonly perCache: readonly DebugBlock[];
}

let state: SlubDebugState | null = null;

/**
 * setup_slub_debug(): read `slub_debug=` once per CPU thread. Returns whether any debugging is
 * on (the kernel then enables slub_debug_enabled at boot, before other CPUs run).
 */
export function setup_slub_debug(): boolean {
  const v = slub_debug_param.get(UNSET);
  if (v === UNSET) {
    state = { global: 0, perCache: [] };
    return false;
  }
  if (v === '') {
    state = { global: DEBUG_DEFAULT_FLAGS, perCache: [] };
    return true;
  }
  const { blocks, unknown } = parse_slub_debug(v);
  if (kapi.smpProcessorId() === 0) for (const ch of unknown) kapi.printk(`slub_debug option '${ch}' unknown. skipped`);
  let global = 0;
  let globalChanged = false;
  const perCache: DebugBlock[] = [];
  for (const b of blocks) {
    if (b.slabs === null) {
      global = b.flags;
      globalChanged = true;
    } else {
      perCache.push(b);
    }
  }
  // One list of flags with a cache list changes only those caches (the kernel's compatibility rule).
  if (!globalChanged && perCache.length === 0) global = DEBUG_DEFAULT_FLAGS;
  state = { global, perCache };
  return global !== 0 || perCache.length > 0;
}

/** kmem_cache_flags(): the caller's flags plus what `slub_debug=` gives the cache `name`. */
export function kmem_cache_flags(flags: number, name: string): number {
  const st = state ?? { global: 0, perCache: [] };
  for (const b of st.perCache) {
    for (const pat of b.slabs ?? []) {
      const glob = pat.indexOf('*');
      if (glob >= 0 ? name.startsWith(pat.slice(0, glob)) : name === pat) return flags | b.flags;
    }
  }
  return flags | st.global;
}

/* ---------------- layout ---------------- */

/** A debug cache's geometry, in bytes (see the header). */
export interface DebugLayout {
  readonly flags: number;
  readonly object_size: number;
  readonly red_left_pad: number;
  readonly inuse: number;
  /** Free pointer offset from the object start. */
  readonly offset: number;
  /** Track offset from the object start (get_info_end()). */
  readonly track_off: number;
  /** The slot: object, red zones, metadata, padding. */
  readonly size: number;
}

function align(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** calculate_sizes() of a debug cache. `flags` has the debug flags merged in (kmem_cache_flags()). */
export function calculate_sizes(object_size: number, alignment: number, flags: number, hasCtor: boolean): DebugLayout {
  let f = flags;
  if ((f & SLAB_POISON) !== 0 && !hasCtor) f |= __OBJECT_POISON;
  else f &= ~__OBJECT_POISON;
  let size = align(object_size, WORD);
  if ((f & SLAB_RED_ZONE) !== 0 && size === object_size) size += WORD;
  const inuse = size;
  let offset: number;
  if ((f & SLAB_POISON) !== 0 || hasCtor || ((f & SLAB_RED_ZONE) !== 0 && object_size < WORD)) {
    offset = size;
    size += WORD;
  } else {
    offset = Math.floor(object_size / 2 / WORD) * WORD;
  }
  const track_off = offset >= inuse ? offset + WORD : inuse;
  if ((f & SLAB_STORE_USER) !== 0) size += 2 * TRACK_BYTES;
  let red_left_pad = 0;
  if ((f & SLAB_RED_ZONE) !== 0) {
    size += WORD;
    red_left_pad = align(WORD, alignment);
    size += red_left_pad;
  }
  return { flags: f, object_size, red_left_pad, inuse, offset, track_off, size: align(size, Math.max(alignment, WORD)) };
}

/** get_info_end() + tracks: where the padding after the metadata begins, from the object start. */
export function pad_start(l: DebugLayout, flags: number): number {
  return l.track_off + ((flags & SLAB_STORE_USER) !== 0 ? 2 * TRACK_BYTES : 0);
}

/** size_from_object(): the slot's bytes from the object start to the next slot. */
export function size_from_object(l: DebugLayout): number {
  return l.size - l.red_left_pad;
}

/* ---------------- bytes, poison, tracks ---------------- */

let u8_: Uint8Array | null = null;

/** The guest's shared memory as bytes. */
export function shm_u8(): Uint8Array {
  if (u8_ === null || u8_.buffer !== kapi.shm.buffer) u8_ = new Uint8Array(kapi.shm.buffer);
  return u8_;
}

/** init_object(): red zones to `val`, the object poisoned (6b.. a5) when __OBJECT_POISON. */
export function init_object(l: DebugLayout, obj: number, val: number): void {
  const u8 = shm_u8();
  if ((l.flags & SLAB_RED_ZONE) !== 0) u8.fill(val, obj - l.red_left_pad, obj);
  const object_size = l.object_size;
  if ((l.flags & __OBJECT_POISON) !== 0) {
    u8.fill(POISON_FREE, obj, obj + object_size - 1);
    u8[obj + object_size - 1] = POISON_END;
  }
  if ((l.flags & SLAB_RED_ZONE) !== 0) u8.fill(val, obj + object_size, obj + l.inuse);
}

/** setup_object_debug() for a new slab's object: poison, red zones, padding, tracks cleared. */
export function setup_object_debug(l: DebugLayout, obj: number): void {
  const u8 = shm_u8();
  const pad = pad_start(l, l.flags);
  if ((l.flags & (SLAB_POISON | SLAB_RED_ZONE)) !== 0) u8.fill(POISON_INUSE, obj + pad, obj + size_from_object(l));
  if ((l.flags & SLAB_STORE_USER) !== 0) u8.fill(0, obj + l.track_off, obj + l.track_off + 2 * TRACK_BYTES);
  init_object(l, obj, SLUB_RED_INACTIVE);
}

/** Track `which` of object `obj`: its first Int32 word. */
export function track_word(l: DebugLayout, obj: number, which: number): number {
  return (obj + l.track_off + which * TRACK_BYTES) / 4;
}

/**
 * set_track(): the caller of `entry` (kmem_cache_alloc / kmem_cache_free) and its callers into the
 * depot, with this CPU, task and jiffies.
 */
export function set_track(l: DebugLayout, obj: number, which: number, entry: string): void {
  const frames = kapi.stackTraceSave();
  const at = frames.findIndex((f) => f.startsWith(`${entry} `));
  const kept = (at >= 0 ? frames.slice(at + 1) : frames).slice(0, TRACK_ADDRS_COUNT);
  const handle = stack_depot_save(kept);
  const w = track_word(l, obj, which);
  const i32 = kapi.shm;
  i32[w] = handle === 0 ? -1 : handle;
  i32[w + 1] = kapi.smpProcessorId();
  i32[w + 2] = kapi.inTask() ? kapi.current().pid : 0;
  i32[w + 3] = kapi.jiffies();
}

/** The depot handle of a track (0: never set, -1: set, stack missing). */
export function track_handle(l: DebugLayout, obj: number, which: number): number {
  return kapi.shm[track_word(l, obj, which)] ?? 0;
}
