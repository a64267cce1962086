// The README's runGuest() example ("One guest from your program"), run as printed: a program that
// imports the package by its name, starts one guest and prints what it got back. The guest must
// end by itself after durationSec (shutdown_secs) with its real result, not be killed.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

// Verbatim from README.md; the last line (stderr, not part of the example) names the results
// directory so that the test can remove it.
const EXAMPLE = `import { runGuest } from 'torture';
const run = await runGuest({
  suite: 'rcu', nrCpus: 4, durationSec: 5,
  kconfig: { CONFIG_PREEMPT: 'y', CONFIG_HOTPLUG_CPU: 'y' },
  bootParams: { 'rcutorture.onoff_interval': '50' },
});
console.log(run.code, run.result?.end, run.console.includes('End of test: SUCCESS'));
console.error(run.resdir);
`;

function node(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // From the repository root, where 'torture' names this package (package.json "exports").
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe("the README's runGuest() example", () => {
  it('prints 0 poweroff true: the guest powered off by itself with End of test: SUCCESS', async () => {
    const r = await node(EXAMPLE);
    const resdir = r.stderr.trim().split('\n').at(-1) ?? '';
    if (path.basename(resdir).startsWith('torture-guest-')) rmSync(resdir, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('0 poweroff true\n');
  }, 120_000);
});
