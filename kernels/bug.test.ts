/*
 * The kernel's assertions where the model has the code, each violated by a test-only module
 * that calls the modelled function wrongly (kernels/rcu/test_support/bad_calls.ts): each prints
 * kernel/panic.c __warn()'s block and fails the guest; recheck counts the WARNING.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../harness/guest/run_guest.js';
import { runTestGuest } from '../harness/test_support/run_until.js';
import { parseConsole } from '../harness/recheck/parse_console.js';

const KC = { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '3', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y', CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' };

async function badCall(kind: string): Promise<{ console: string; findings: readonly string[] }> {
  const run = await runTestGuest({
    suite: 'rcu',
    nrCpus: 3,
    kconfig: KC,
    bootParams: { 'bad_call.kind': kind },
    durationSec: 4,
    modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/bad_calls')],
  });
  expect(run.console).toContain(`bad-call: ${kind} done`);
  return { console: run.console, findings: run.result?.findings ?? [] };
}

/** The __warn() block: cut here, WARNING at the function, modules, CPU line, Call Trace, end marker. */
function warnBlock(fn: string): RegExp {
  return new RegExp(
    String.raw`\] ------------\[ cut here \]------------\n` +
      String.raw`.*\] WARNING: CPU: \d+ PID: \d+ at ${fn} \(kernels/[\w/]+\.ts:\d+\)\n` +
      String.raw`.*\] Modules linked in:\n` +
      String.raw`.*\] CPU: \d+ PID: \d+ Comm: \S+ [^\n]*\n` +
      String.raw`.*\] Call Trace:\n(.*\]  [^\n]+\n)+` +
      String.raw`.*\] ---\[ end trace 0000000000000000 \]---\n`,
  );
}

describe('kernel assertions (bug.h, lockdep.h)', () => {
  it('lockdep_assert_held(): __kmem_cache_create() without slab_mutex', async () => {
    const r = await badCall('held');
    expect(r.console).toMatch(warnBlock('__kmem_cache_create'));
    expect(r.findings).toContainEqual(expect.stringMatching(/WARNING: CPU: 0 PID: \d+ at __kmem_cache_create/));
    const facts = parseConsole(r.console, 'console.log', 'BAD');
    expect(facts.badness.warnings).toBeGreaterThanOrEqual(1);
    expect(facts.reasons).toContainEqual(expect.stringMatching(/console badness: .*Warnings: \d+/));
  });

  it('lockdep_assert_irqs_disabled(): rcu_cpu_starting() from a task with irqs on', async () => {
    const r = await badCall('irqs');
    expect(r.console).toMatch(warnBlock('rcu_cpu_starting'));
  });

  it('WARN_ON_ONCE(): rcutree_migrate_callbacks() of a CPU that is still online, once', async () => {
    const r = await badCall('online');
    expect(r.console).toMatch(warnBlock('rcutree_migrate_callbacks'));
    expect(r.console.match(/WARNING: CPU: \d+ PID: \d+ at rcutree_migrate_callbacks/g)).toHaveLength(1);
  });
});
