/*
 * SLUB debug (slub_debug.ts, slub_check.ts): `slub_debug=` parsing, and each check proving itself
 * against a planted misuse (kernels/mm/test_support/slub_debug_bugs.ts; the boot switches
 * slub.test_* under the slab stress module are in slub.test.ts), with the kernel-format report.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import type { GuestRun } from '../../harness/guest/run_guest.js';
import { runTestGuest } from '../../harness/test_support/run_until.js';
import { DEBUG_DEFAULT_FLAGS, parse_slub_debug, slub_debug_params, SLAB_CONSISTENCY_CHECKS, SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER } from './slub_debug.js';

describe('slub_debug= (parse_slub_debug_flags)', () => {
  it('flags, `-`, per-cache lists and blocks, as mm/slub.c parses them', () => {
    expect(parse_slub_debug('FZPU')).toEqual({ blocks: [{ flags: DEBUG_DEFAULT_FLAGS, slabs: null }], unknown: [] });
    expect(parse_slub_debug('fzpu,kmalloc-64').blocks).toEqual([{ flags: DEBUG_DEFAULT_FLAGS, slabs: ['kmalloc-64'] }]);
    expect(parse_slub_debug('P,a,b;Z,c').blocks).toEqual([
      { flags: SLAB_POISON, slabs: ['a', 'b'] },
      { flags: SLAB_RED_ZONE, slabs: ['c'] },
    ]);
    expect(parse_slub_debug(',rcuscale').blocks).toEqual([{ flags: DEBUG_DEFAULT_FLAGS, slabs: ['rcuscale'] }]);
    expect(parse_slub_debug('FZ-U').blocks).toEqual([{ flags: SLAB_STORE_USER, slabs: null }]);
    expect(parse_slub_debug('-').blocks).toEqual([{ flags: 0, slabs: null }]);
    expect(parse_slub_debug('FQ').unknown).toEqual(['q']);
    expect(parse_slub_debug('F').blocks[0]?.flags).toBe(SLAB_CONSISTENCY_CHECKS);
  });

  it('the driver refuses what is not a flag list with cache lists (the kernel would skip the letter)', () => {
    const decl = slub_debug_params.all.find((d) => d.name === 'slub_debug');
    for (const v of ['', 'FZPU', 'fzpu,kmalloc-64', 'P,a,b;Z,c', ',rcuscale', '-', 'F,rcu*', 'F;;U']) expect(decl?.accepts(v), v).toBe(true);
    for (const v of ['FQ', 'FZ!', 'F,', 'F Z']) expect(decl?.accepts(v), v).toBe(false);
    expect(decl?.expect).toMatch(/^flags from F Z P U T A O - then optional ,cache,\.\.\. blocks separated by ;/);
  });
});

const BUGS = {
  suite: 'rcu' as const,
  nrCpus: 2,
  kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_PROVE_LOCKING: 'y' },
  durationSec: 20,
  modules: [distModuleUrl('kernels/mm/test_support/slub_debug_bugs')],
};

function bugRun(which: string, slubDebug = 'FZPU'): Promise<GuestRun> {
  return runTestGuest({ ...BUGS, bootParams: { slub_debug: slubDebug, 'slub_debug_bugs.case': which } });
}

/** The lines from the `BUG <cache> (...): <title>` line on (without their stamps). */
function report(c: string, title: string): string {
  const lines = c.split('\n').map((l) => l.replace(/^\[[^\]]*\] ?/, ''));
  const at = lines.findIndex((l) => l.includes(title));
  return at < 0 ? '' : lines.slice(at - 1, at + 40).join('\n');
}

describe('SLUB debug checks, each against its planted misuse', { timeout: 120_000 }, () => {
  it('slub_debug=FZPU, ordinary use: clean, and the per-cache form debugs only the named cache', async () => {
    const run = await bugRun('ops');
    // F Z P U: 0x100 | 0x400 | 0x800 | 0x10000 on both caches.
    expect(run.console).toContain('slub-debug-bugs: done ops flags=0x10d00,0x10d00');
    expect(run.console).not.toMatch(/BUG|WARNING:/);
    expect(run.result?.findings).toEqual([]);
    const one = await bugRun('ops', 'FZPU,slub_test_64');
    expect(one.console).toContain('slub-debug-bugs: done ops flags=0x10d00,0x0');
    expect(one.result?.findings).toEqual([]);
    const none = await bugRun('ops', '-');
    expect(none.console).toContain('slub-debug-bugs: done ops flags=0x0,0x0');
  });

  it('free to the wrong cache: cache_from_obj\'s WARN with the object\'s tracking', async () => {
    const c = (await bugRun('wrong_cache')).console;
    expect(c).toMatch(/\] cache_from_obj: Wrong slab cache\. slub_test_32 but object is from slub_test_64\n.*WARNING: CPU: 0 PID: \d+ at cache_from_obj \(kernels\/mm\/slub_debug_ops\.ts:\d+\)/);
    expect(c).toMatch(/\] INFO: Allocated in \S+ \(kernels\/mm\/test_support\/slub_debug_bugs\.ts:\d+\) age=\d+ cpu=0 pid=\d+\n.*\] \t\S+ \(kernels\/mm\/test_support\/slub_debug_bugs\.ts:\d+\)\n/);
  });

  it('free of a pointer not at an object start: `Invalid object pointer`, not freed', async () => {
    const run = await bugRun('not_start');
    const r = report(run.console, 'BUG slub_test_64 (Not tainted): Invalid object pointer 0xffff888');
    expect(r).toMatch(/^={77}\nBUG slub_test_64 \(Not tainted\): Invalid object pointer 0x(ffff888[0-9a-f]{9})\n-{77}\n\nINFO: Slab 0xffff888[0-9a-f]{9} objects=\d+ used=\d+ fp=0x[0-9a-f]{16} flags=0x200\(slab\)\n/);
    expect(run.console).toMatch(/FIX slub_test_64: Object at 0xffff888[0-9a-f]{9} not freed/);
    expect(run.result?.findings.some((f) => f.includes('BUG slub_test_64: Invalid object pointer'))).toBe(true);
  });

  it('a free object\'s free pointer overwritten: `Freepointer corrupt` at the next allocation, the slab taken out', async () => {
    const run = await bugRun('freelist');
    const r = report(run.console, 'BUG slub_test_64 (Not tainted): Freepointer corrupt');
    expect(r).toContain('INFO: Allocated in ');
    expect(r).toContain('INFO: Freed in ');
    expect(r).toMatch(/INFO: Object 0xffff888[0-9a-f]{9} @offset=\d+ fp=0x0000000000012345\n\nRedzone  ffff888[0-9a-f]{9}: bb bb bb bb bb bb bb bb {26}\.{8}\nObject   ffff888[0-9a-f]{9}: (6b ){15}6b  k{16}\n/);
    expect(run.console).toContain('FIX slub_test_64: Marking all objects used');
  });

  it('mem_dump_obj() of a red-zoned, tracked object: data offset, allocation stack, Free path', async () => {
    const c = (await bugRun('dump')).console.split('\n').map((l) => l.replace(/^\[[^\]]*\] ?/, '')).join('\n');
    expect(c).toMatch(
      /mem_dump_obj\(ffff888([0-9a-f]{9})\): slab slub_test_64 start ffff888([0-9a-f]{9}) data offset 8 pointer offset 8 allocated at \S+ \(kernels\/mm\/test_support\/slub_debug_bugs\.ts:\d+\)\n( {4}\S+ \(.*\)\n)+ Free path:\n( {4}\S+ \(.*\)\n)+/,
    );
    expect(c).not.toMatch(/BUG|WARNING:/);
  });

  it('a slab object freed with a lock inside it held: lockdep\'s `held lock freed`', async () => {
    const run = await bugRun('held_lock');
    const c = run.console.split('\n').map((l) => l.replace(/^\[[^\]]*\] ?/, '')).join('\n');
    expect(c).toMatch(
      /={25}\nWARNING: held lock freed!\n.* Not tainted\n-{25}\nslab_test\/\d+ is freeing memory (ffffffff8[0-9a-f]{7})-(ffffffff8[0-9a-f]{7}), with a lock still held there!\n(ffffffff8[0-9a-f]{7}) \(slub_test_obj_lock\)\{\+\.\+\.\}-\{2:2\}, at: \S+ \(kernels\/mm\/test_support\/slub_debug_bugs\.ts:\d+\)\n1 lock held by slab_test\/\d+:\n #0: \3 \(slub_test_obj_lock\)/,
    );
    const m = /is freeing memory ([0-9a-f]+)-([0-9a-f]+), with a lock still held there!\n([0-9a-f]+) /.exec(c);
    const [from, to, lock] = [m?.[1], m?.[2], m?.[3]].map((x) => BigInt(`0x${x ?? '0'}`));
    expect((lock ?? 0n) - (from ?? 0n)).toBe(16n);
    expect((to ?? 0n) - (from ?? 0n)).toBe(63n);
    expect(c).toMatch(/stack backtrace:\nCPU: 0 PID: \d+ Comm: slab_test .*\n.*\nCall Trace:\n kmem_cache_free \(kernels\/mm\/slub\.ts:\d+\)\n \S+ \(kernels\/mm\/test_support\/slub_debug_bugs\.ts:\d+\)\n/);
    expect(run.result?.findings.some((f) => f.includes('held lock freed'))).toBe(true);
  });
});
