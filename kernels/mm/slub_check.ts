/*
 * The checks of a SLUB debug cache and their reports, in mm/slub.c's shapes of the seed's era
 * (5.12: `INFO:` lines), with the later kernels' aligned hex-dump labels:
 *
 *   =============================================================================
 *   BUG rcuscale (Not tainted): Poison overwritten
 *   -----------------------------------------------------------------------------
 *
 *   INFO: 0xffff888000412000-0xffff888000412003 @offset=0. First byte 0x0 instead of 0x6b
 *   INFO: Allocated in rcu_torture_stats (harness/torture/rcu_torture_stats.ts:158) age=12 cpu=1 pid=42
 *   	rcu_torture_stats (harness/torture/rcu_torture_stats.ts:158)
 *   INFO: Freed in ... age=3 cpu=2 pid=42
 *   INFO: Slab 0xffff888000412000 objects=9 used=1 fp=0xffff888000412000 flags=0x200(slab)
 *   INFO: Object 0xffff888000412008 @offset=8 fp=0xffff8880004120e0
 *
 *   Redzone  ffff888000412000: bb bb bb bb bb bb bb bb                          ........
 *   Object   ffff888000412008: 00 00 00 00 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  ....kkkkkkkkkkkk
 *   ...
 *   FIX rcuscale: Restoring 0xffff888000412008-0xffff88800041200b=0x6b
 *
 * (slab_bug, check_bytes_and_report, print_trailer, print_tracking, print_track, print_page_info,
 * print_section, restore_bytes, slab_fix, object_err, slab_err). Where 5.12 ends print_trailer()
 * with dump_stack(), this ends it with WARN_ON(1), as object_err() does in later kernels: the
 * splat carries the stack and counts as a warning. Every report also fails the guest
 * (kapi.noteFailure: `BUG <cache>: <title>`). The first report taints the guest with
 * TAINT_BAD_PAGE, so later ones print `Tainted: G    B` in the kernel's 18-column form.
 */

import { kapi, type ShmRegion } from '../../harness/kapi.js';
import { WARN_ON } from '../bug.js';
import { stack_depot_fetch } from './stack_depot.js';
import {
  __OBJECT_POISON,
  pad_start,
  POISON_END,
  POISON_FREE,
  POISON_INUSE,
  shm_u8,
  size_from_object,
  SLAB_POISON,
  SLAB_RED_ZONE,
  SLAB_STORE_USER,
  SLUB_RED_ACTIVE,
  TRACK_ALLOC,
  TRACK_FREE,
  track_word,
  type DebugLayout,
} from './slub_debug.js';

/** What the checks need of a debug cache (slub.ts builds it). */
export interface DebugCacheView {
  readonly name: string;
  readonly l: DebugLayout;
  /** Objects per slab. */
  readonly oo: number;
  /** Byte address of slab `slab`'s first byte. */
  slabAddr(slab: number): number;
  /** A free pointer (object number + 1) as the byte address of that object's start; -1 if none of this cache's. */
  fpAddr(fp: number): number;
  /** The slab's state: objects in use and its first free object (number + 1). */
  slabState(slab: number): { readonly inuse: number; readonly fl: number };
}

/** %px of a guest byte address (the direct map): 0xffff888000000000 + the byte offset. */
export function pointer_px(addr: number): string {
  if (addr === 0) return '0000000000000000';
  if (addr < 4096) return addr.toString(16).padStart(16, '0');
  return (0xffff888000000000n + BigInt(addr)).toString(16);
}

/* ---------------- taint ---------------- */

let taint_: ShmRegion | null = null;

function taintWord(): number {
  taint_ ??= kapi.shmAlloc('slub_taint', 1);
  return taint_.base;
}

/** print_tainted(): `Not tainted`, or the 18 taint columns with B (TAINT_BAD_PAGE). */
function print_tainted(): string {
  return Atomics.load(kapi.shm, taintWord()) === 0 ? 'Not tainted' : `Tainted: G    B${' '.repeat(12)}`;
}

/* ---------------- the kernel's print helpers ---------------- */

function out(line: string): void {
  kapi.printk(line);
}

/** slab_bug(): the banner and the title; the guest fails. */
function slab_bug(v: DebugCacheView, msg: string): void {
  out('='.repeat(77));
  out(`BUG ${v.name} (${print_tainted()}): ${msg}`);
  out('-'.repeat(77));
  out('');
  // add_taint(TAINT_BAD_PAGE): later reports print it.
  Atomics.store(kapi.shm, taintWord(), 1);
  kapi.noteFailure(`BUG ${v.name}: ${msg}`);
}

/** slab_fix(). */
export function slab_fix(v: DebugCacheView, msg: string): void {
  out(`FIX ${v.name}: ${msg}`);
}

/** print_hex_dump(KERN_ERR, text, DUMP_PREFIX_ADDRESS, 16, 1, addr, length, true). */
export function print_section(text: string, addr: number, length: number): void {
  const u8 = shm_u8();
  for (let i = 0; i < length; i += 16) {
    const row = Array.from(u8.subarray(addr + i, addr + Math.min(length, i + 16)));
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out(`${text}${pointer_px(addr + i)}: ${hex.padEnd(49, ' ')}${ascii}`);
  }
}

/** A free pointer as printed: the object's address, 0 for none, the raw value if it is no object. */
function fp_px(v: DebugCacheView, fp: number): string {
  if (fp === 0) return pointer_px(0);
  const a = v.fpAddr(fp);
  return a < 0 ? (fp >>> 0).toString(16).padStart(16, '0') : pointer_px(a);
}

/** get_freepointer(): the raw free pointer word of the object at `obj`. */
export function get_freepointer(v: DebugCacheView, obj: number): number {
  return kapi.shm[(obj + v.l.offset) / 4] ?? 0;
}

export function set_freepointer(v: DebugCacheView, obj: number, fp: number): void {
  kapi.shm[(obj + v.l.offset) / 4] = fp;
}

/** check_valid_pointer(): 0, or an object of slab `slab`. */
export function check_valid_pointer(v: DebugCacheView, slab: number, fp: number): boolean {
  return fp === 0 || (fp - 1 >= slab * v.oo && fp - 1 < slab * v.oo + v.oo);
}

/** print_track(). */
function print_track(what: string, v: DebugCacheView, obj: number, which: number, now: number): void {
  const w = track_word(v.l, obj, which);
  const i32 = kapi.shm;
  const handle = i32[w] ?? 0;
  if (handle === 0) return;
  const frames = stack_depot_fetch(handle);
  out(`INFO: ${what} in ${frames[0] ?? '0x0'} age=${now - (i32[w + 3] ?? 0)} cpu=${i32[w + 1] ?? 0} pid=${i32[w + 2] ?? 0}`);
  if (frames.length === 0) out('object allocation/free stack trace missing');
  for (const f of frames) out(`\t${f}`);
}

/** print_tracking(). */
export function print_tracking(v: DebugCacheView, obj: number): void {
  if ((v.l.flags & SLAB_STORE_USER) === 0) return;
  const now = kapi.jiffies();
  print_track('Allocated', v, obj, TRACK_ALLOC, now);
  print_track('Freed', v, obj, TRACK_FREE, now);
}

/** print_page_info(). */
function print_slab_info(v: DebugCacheView, slab: number): void {
  const st = v.slabState(slab);
  out(`INFO: Slab 0x${pointer_px(v.slabAddr(slab))} objects=${v.oo} used=${st.inuse} fp=0x${fp_px(v, st.fl)} flags=0x200(slab)`);
}

/** print_trailer(). */
function print_trailer(v: DebugCacheView, slab: number, obj: number): void {
  const l = v.l;
  const base = v.slabAddr(slab);
  print_tracking(v, obj);
  print_slab_info(v, slab);
  out(`INFO: Object 0x${pointer_px(obj)} @offset=${obj - base} fp=0x${fp_px(v, get_freepointer(v, obj))}`);
  out('');
  if ((l.flags & SLAB_RED_ZONE) !== 0) print_section('Redzone  ', obj - l.red_left_pad, l.red_left_pad);
  else if (obj > base + 16) print_section('Bytes b4 ', obj - 16, 16);
  print_section('Object   ', obj, Math.min(l.object_size, 4096));
  if ((l.flags & SLAB_RED_ZONE) !== 0) print_section('Redzone  ', obj + l.object_size, l.inuse - l.object_size);
  const off = pad_start(l, l.flags);
  if (off !== size_from_object(l)) print_section('Padding  ', obj + off, size_from_object(l) - off);
  WARN_ON(true);
}

/** object_err(). */
export function object_err(v: DebugCacheView, slab: number, obj: number, reason: string): void {
  slab_bug(v, reason);
  print_trailer(v, slab, obj);
}

/** slab_err(). */
export function slab_err(v: DebugCacheView, slab: number, msg: string): void {
  slab_bug(v, msg);
  print_slab_info(v, slab);
  WARN_ON(true);
}

/** check_bytes_and_report(): `bytes` at `start` must all be `value`; report and restore if not. */
function check_bytes_and_report(v: DebugCacheView, slab: number, obj: number, what: string, start: number, value: number, bytes: number): boolean {
  const u8 = shm_u8();
  let fault = -1;
  for (let i = start; i < start + bytes; i++) {
    if (u8[i] !== value) {
      fault = i;
      break;
    }
  }
  if (fault < 0) return true;
  let end = start + bytes;
  while (end > fault && u8[end - 1] === value) end--;
  slab_bug(v, `${what} overwritten`);
  out(`INFO: 0x${pointer_px(fault)}-0x${pointer_px(end - 1)} @offset=${fault - v.slabAddr(slab)}. First byte 0x${(u8[fault] ?? 0).toString(16)} instead of 0x${value.toString(16)}`);
  print_trailer(v, slab, obj);
  // restore_bytes()
  slab_fix(v, `Restoring 0x${pointer_px(fault)}-0x${pointer_px(end - 1)}=0x${value.toString(16)}`);
  u8.fill(value, fault, end);
  return false;
}

/** check_pad_bytes(): the padding after the metadata is POISON_INUSE. */
function check_pad_bytes(v: DebugCacheView, slab: number, obj: number): boolean {
  const off = pad_start(v.l, v.l.flags);
  if (size_from_object(v.l) === off) return true;
  return check_bytes_and_report(v, slab, obj, 'Object padding', obj + off, POISON_INUSE, size_from_object(v.l) - off);
}

/**
 * check_object(): red zones (`val`: SLUB_RED_ACTIVE for an allocated object, SLUB_RED_INACTIVE for
 * a free one), the poison of a free object, the padding, and the free pointer of a free object (or
 * of any object when it lies outside the object). False when something was wrong (and reported).
 */
export function check_object(v: DebugCacheView, slab: number, obj: number, val: number): boolean {
  const l = v.l;
  const end = obj + l.object_size;
  if ((l.flags & SLAB_RED_ZONE) !== 0) {
    if (!check_bytes_and_report(v, slab, obj, 'Redzone', obj - l.red_left_pad, val, l.red_left_pad)) return false;
    if (!check_bytes_and_report(v, slab, obj, 'Redzone', end, val, l.inuse - l.object_size)) return false;
  } else if ((l.flags & SLAB_POISON) !== 0 && l.object_size < l.inuse) {
    check_bytes_and_report(v, slab, obj, 'Alignment padding', end, POISON_INUSE, l.inuse - l.object_size);
  }
  if ((l.flags & SLAB_POISON) !== 0) {
    if (
      val !== SLUB_RED_ACTIVE &&
      (l.flags & __OBJECT_POISON) !== 0 &&
      (!check_bytes_and_report(v, slab, obj, 'Poison', obj, POISON_FREE, l.object_size - 1) || !check_bytes_and_report(v, slab, obj, 'Poison', end - 1, POISON_END, 1))
    ) {
      return false;
    }
    check_pad_bytes(v, slab, obj);
  }
  // The object and its free pointer overlap: it cannot be checked while the object is allocated.
  if (l.offset < l.inuse && val === SLUB_RED_ACTIVE) return true;
  if (!check_valid_pointer(v, slab, get_freepointer(v, obj))) {
    object_err(v, slab, obj, 'Freepointer corrupt');
    // No choice but to zap it, losing the rest of the slab's free objects.
    set_freepointer(v, obj, 0);
    return false;
  }
  return true;
}

/** What on_freelist() found: whether `search` is free, and whether the slab's freelist head must be cleared. */
export interface OnFreelist {
  readonly found: boolean;
  readonly zapHead: boolean;
  /** Free objects counted (the walk's length up to a corruption). */
  readonly nr: number;
}

/**
 * on_freelist(): walk slab `slab`'s freelist from `head` looking for `search` (an object number
 * + 1), checking every pointer on the way: a bad one is `Freechain corrupt` (the chain is cut at
 * the object before it) or, at the head, `Freepointer corrupt` (the whole freelist is lost).
 */
export function on_freelist(v: DebugCacheView, slab: number, head: number, search: number): OnFreelist {
  let nr = 0;
  let fp = head;
  let prev = -1;
  while (fp !== 0 && nr <= v.oo) {
    if (fp === search) return { found: true, zapHead: false, nr };
    if (!check_valid_pointer(v, slab, fp)) {
      if (prev >= 0) {
        object_err(v, slab, prev, 'Freechain corrupt');
        set_freepointer(v, prev, 0);
        slab_fix(v, 'Isolate corrupted freechain');
        return { found: false, zapHead: false, nr };
      }
      slab_err(v, slab, 'Freepointer corrupt');
      slab_fix(v, 'Freelist cleared');
      return { found: false, zapHead: true, nr: 0 };
    }
    prev = v.fpAddr(fp);
    fp = get_freepointer(v, prev);
    nr++;
  }
  return { found: search === 0 && fp === 0, zapHead: false, nr };
}
