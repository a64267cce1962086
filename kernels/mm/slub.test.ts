/*
 * The SLUB model under real concurrency (kernels/mm/test_support/slab_stress.ts): one kthread per
 * CPU allocating and freeing, frees handed to other CPUs, softirq allocations on every CPU, and a
 * CPU going offline and back all along. A correct allocator never hands out an object twice,
 * never writes into a live object and loses nothing; the planted slub.test_local_lock_irqs_on=1
 * (the slow path without irqs off) is lockdep's inconsistent-lock-state report on &n->list_lock.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import type { GuestRun } from '../../harness/guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../../harness/test_support/run_until.js';

const STRESS = {
  suite: 'rcu' as const,
  nrCpus: 4,
  kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y', CONFIG_PROVE_LOCKING: 'y' },
  durationSec: 30,
  modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/mm/test_support/slab_stress')],
};

describe('SLUB per-CPU slabs under stress', () => {
  it('remote frees, softirq allocations and CPU offline: no double allocation, no corruption, nothing lost; lockdep clean', async () => {
    const run = await runTestGuest({ ...STRESS, bootParams: { 'slab_stress.secs': '2' } });
    const c = run.console;
    const m = /slab-stress: OK allocs=(\d+) remote-frees=(\d+) irq-rounds=(\d+) offlines=(\d+) flushed=(\d+)\/(\d+)/.exec(c);
    expect(m, c.slice(-3000)).not.toBeNull();
    for (const k of [1, 2, 3, 4, 5]) expect(Number(m?.[k] ?? 0)).toBeGreaterThan(0);
    expect(c).not.toContain('still has objects');
    expect(c).not.toMatch(/WARNING:|BUG:/);
    expect(run.result?.findings).toEqual([]);
  });

  it('slub.test_local_lock_irqs_on=1: &n->list_lock taken with softirqs on and in softirq is the inconsistent-lock-state report', async () => {
    const run = await runTestGuest({ ...STRESS, bootParams: { 'slab_stress.secs': '2', 'slub.test_local_lock_irqs_on': '1', watchdog_thresh: '1' } });
    const c = run.console;
    expect(c).toContain('WARNING: inconsistent lock state');
    expect(c).toMatch(/inconsistent \{SOFTIRQ-ON-W\} -> \{IN-SOFTIRQ-W\} usage\.|inconsistent \{IN-SOFTIRQ-W\} -> \{SOFTIRQ-ON-W\} usage\./);
    expect(c).toMatch(/\(&n->list_lock\)\{[^}]*\}-\{2:2\}, at: get_partial \(kernels\/mm\/slub\.ts:\d+\)/);
    expect(c).toMatch(/ ___slab_alloc \(kernels\/mm\/slub\.ts:\d+\)\n.* kmem_cache_alloc /);
    expect(run.result?.findings.some((f) => f.includes('inconsistent lock state'))).toBe(true);
  });
});

/** The console without stamps. */
function plain(c: string): string {
  return c.split('\n').map((l) => l.replace(/^\[[^\]]*\] ?/, '')).join('\n');
}

/**
 * A report's taint column: two CPUs may report at once, and each CPU's lines reach the console in
 * the order its messages arrive, so the first report printed may be the second one made (already
 * `Tainted: G    B`). The first one made says `Not tainted` (taintColumnsRight() checks that one
 * exists, and that every banner has one of the two columns, the kernel's 18-column form).
 */
const TAINT = String.raw`(?:Not tainted|Tainted: G {4}B {12})`;

/** Every SLUB banner of the run has a right taint column, and some report was made untainted. */
function taintColumnsRight(c: string): boolean {
  const banners = plain(c).split('\n').filter((l) => l.startsWith('BUG slab_stress ('));
  const right = new RegExp(String.raw`^BUG slab_stress \(${TAINT}\): `);
  return banners.length > 0 && banners.every((l) => right.test(l)) && banners.some((l) => l.startsWith('BUG slab_stress (Not tainted): '));
}

/** The first SLUB report titled `title`, from its banner on (40 lines). */
function slubReport(c: string, title: string): string {
  const lines = plain(c).split('\n');
  const at = lines.findIndex((l) => new RegExp(String.raw`^BUG slab_stress \(${TAINT}\): `).test(l) && l.endsWith(title));
  if (at < 1) return '';
  // Through the line after the report's FIX line: the stacks' depth varies, so no fixed length.
  const fix = lines.findIndex((l, i) => i > at && l.startsWith('FIX '));
  return lines.slice(at - 1, fix > at ? fix + 2 : at + 120).join('\n');
}

describe('SLUB debug under the stress module (slub_debug=FZPU, planted caller bugs)', { timeout: 180_000 }, () => {
  const SMALL = { ...STRESS, nrCpus: 2, kconfig: { ...STRESS.kconfig, CONFIG_NR_CPUS: '2' } };
  /** The stress module with a planted bug, 1 s of stress, longer (to 8 s) until `title` is reported. */
  const planted = (o: typeof STRESS, params: Readonly<Record<string, string>>, title: string): Promise<GuestRun> =>
    runGuestUntil((secs) => ({ ...o, bootParams: { 'slab_stress.secs': String(secs), ...params } }), (r) => r.console.includes(title), { fromSec: 1, capSec: 8 });

  it('slub_debug=FZPU: every object through the debug checks, clean', async () => {
    const run = await runTestGuest({ ...STRESS, bootParams: { 'slab_stress.secs': '2', slub_debug: 'FZPU' } });
    expect(run.console).toMatch(/slab-stress: OK allocs=[1-9]\d* remote-frees=[1-9]\d* /);
    expect(run.console).not.toMatch(/WARNING:|BUG/);
    expect(run.result?.findings).toEqual([]);
  });

  it('slub.test_uaf_write=20: a write after free is `Poison overwritten` at the next allocation, with both tracks and the dump', async () => {
    const run = await planted(SMALL, { slub_debug: 'FZPU', 'slub.test_uaf_write': '20' }, 'Poison overwritten');
    const r = slubReport(run.console, 'Poison overwritten');
    expect(r).toMatch(new RegExp(String.raw`^={77}\nBUG slab_stress \(${TAINT}\): Poison overwritten\n-{77}\n\n`));
    expect(taintColumnsRight(run.console)).toBe(true);
    expect(r).toMatch(/\nINFO: 0x(ffff888[0-9a-f]{9})-0xffff888[0-9a-f]{9} @offset=\d+\. First byte 0x0 instead of 0x6b\n/);
    expect(r).toMatch(/\nINFO: Allocated in get \(kernels\/mm\/test_support\/slab_stress\.ts:\d+\) age=\d+ cpu=\d pid=\d+\n\tget /);
    expect(r).toMatch(/\nINFO: Freed in put \(kernels\/mm\/test_support\/slab_stress\.ts:\d+\) age=\d+ cpu=\d pid=\d+\n\tput /);
    expect(r).toMatch(/\nINFO: Slab 0xffff888[0-9a-f]{9} objects=\d+ used=\d+ fp=0xffff888[0-9a-f]{9} flags=0x200\(slab\)\nINFO: Object 0x(ffff888[0-9a-f]{9}) @offset=\d+ fp=0x[0-9a-f]{16}\n\n/);
    expect(r).toMatch(/\nRedzone  ffff888[0-9a-f]{9}: (bb ){7}bb {26}\.{8}\nObject   ffff888[0-9a-f]{9}: 00 00 00 00 (6b ){11}6b  \.{4}k{12}\nObject   ffff888[0-9a-f]{9}: (6b ){15}a5  k{15}\.\nRedzone  ffff888[0-9a-f]{9}: (bb ){7}bb {26}\.{8}\nPadding  /);
    expect(r).toMatch(/\nFIX slab_stress: Restoring 0xffff888[0-9a-f]{9}-0xffff888[0-9a-f]{9}=0x6b\n/);
    expect(run.result?.findings.some((f) => f.includes('BUG slab_stress: Poison overwritten'))).toBe(true);
  });

  // The second free comes after the node lock was dropped: when another CPU took the object in
  // between, it is a free of someone else's live object, which no check can tell from a good free
  // (as in the kernel), and the stress module may then see a double allocation.
  it('slub.test_double_free=20: `Object already free`, and that object is not freed twice', async () => {
    const run = await planted(SMALL, { slub_debug: 'FZPU', 'slub.test_double_free': '20' }, 'Object already free');
    const r = slubReport(run.console, 'Object already free');
    expect(r).toMatch(new RegExp(String.raw`^={77}\nBUG slab_stress \(${TAINT}\): Object already free\n-{77}\n\nINFO: Allocated in `));
    expect(taintColumnsRight(run.console)).toBe(true);
    expect(r).toMatch(/\nINFO: Freed in put .*\n(\t.*\n)+INFO: Slab .*\nINFO: Object 0x(ffff888[0-9a-f]{9}) /);
    expect(plain(run.console)).toMatch(/\nFIX slab_stress: Object at 0xffff888[0-9a-f]{9} not freed\n/);
  });

  it('slub.test_redzone=20: a write past the object is `Redzone overwritten` at its free', async () => {
    const run = await planted(SMALL, { slub_debug: 'FZPU', 'slub.test_redzone': '20' }, 'Redzone overwritten');
    const r = slubReport(run.console, 'Redzone overwritten');
    expect(r).toMatch(/\nINFO: 0x(ffff888[0-9a-f]{9})-0x\1 @offset=\d+\. First byte 0x0 instead of 0xcc\n/);
    expect(r).toMatch(/\nRedzone  ffff888[0-9a-f]{9}: 00 (cc ){6}cc {26}\.{8}\n/);
    expect(r).toMatch(/\nFIX slab_stress: Restoring 0x(ffff888[0-9a-f]{9})-0x\1=0xcc\n/);
  });

  it('slub.test_wrong_cpu_free=10 (no slub_debug): an object on the wrong CPU\'s slab is caught at the next fast-path allocation', async () => {
    const run = await planted(STRESS, { 'slub.test_wrong_cpu_free': '10' }, 'FIX slab_stress: Isolate corrupted freechain');
    const c = plain(run.console);
    expect(c).toMatch(/={77}\nBUG slab_stress \(Not tainted\): (Freelist Pointer check fails|Freechain corrupt|Freepointer corrupt)\n-{77}\n\nINFO: Slab 0xffff888[0-9a-f]{9} objects=\d+ used=\d+ /);
    expect(c).toMatch(/\nFIX slab_stress: Isolate corrupted freechain/);
    expect(run.result?.findings.some((f) => f.includes('BUG slab_stress: '))).toBe(true);
  });
});
