import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// `torture again DIR` reruns DIR's scenarios with the same merged configs, boot parameters and
// seed (kvm-again.sh); --duration changes only shutdown_secs.
const repo = path.resolve(import.meta.dirname, '..', '..');

function torture(args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'torture.js'), ...args], { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const appendOf = (dir: string): string => /-append "([^"]*)"/.exec(readFileSync(path.join(dir, 'qemu-cmd'), 'utf8'))?.[1] ?? '';

describe('torture again', () => {
  it('reproduces the seed, the merged configs and the boot line (shown in both logs)', () => {
    const results = makeTestTempDir('again');
    const first = torture(['--torture', 'lock', '--configs', 'LOCK01', '--duration', '3s', '--seed', '42', '--kconfig', 'CONFIG_NR_CPUS=3', '--results', results, '--datestamp', 'first']);
    expect(first.code, first.out).toBe(0);
    const again = torture(['again', path.join(results, 'first'), '--duration', '4s', '--datestamp', 'again']);
    expect(again.code, again.out).toBe(0);
    const a = path.join(results, 'first');
    const b = path.join(results, 'again');
    const logA = readFileSync(path.join(a, 'log'), 'utf8');
    const logB = readFileSync(path.join(b, 'log'), 'utf8');
    expect(logA).toMatch(/^Random seed: 42 /m);
    expect(logB).toMatch(/^Random seed: 42 /m);
    expect(logB.split('\n')[0]).toBe(`torture again ${a} --duration 4s --datestamp again`);
    expect(logB).toContain(`Re-running ${a} with its merged configs, boot parameters and seed.`);
    expect(readFileSync(path.join(b, 're-run'), 'utf8')).toBe(`${a}\n`);
    for (const f of ['ConfigFragment', 'ConfigFragment.input', '.config']) {
      expect(readFileSync(path.join(b, 'LOCK01', f), 'utf8'), f).toBe(readFileSync(path.join(a, 'LOCK01', f), 'utf8'));
    }
    expect(readFileSync(path.join(b, 'LOCK01', '.config'), 'utf8')).toContain('CONFIG_NR_CPUS=3');
    expect(appendOf(path.join(a, 'LOCK01'))).toContain('locktorture.shutdown_secs=3 ');
    expect(appendOf(path.join(b, 'LOCK01'))).toBe(appendOf(path.join(a, 'LOCK01')).replace('locktorture.shutdown_secs=3 ', 'locktorture.shutdown_secs=4 '));
    expect(appendOf(path.join(b, 'LOCK01'))).toMatch(/ torture\.random_seed=42$/);
    expect(readFileSync(path.join(b, 'LOCK01', 'console.log'), 'utf8')).toMatch(/Command line: .* torture\.random_seed=42\n/);
    expect(JSON.parse(readFileSync(path.join(b, 'summary.json'), 'utf8'))).toMatchObject({ seed: 42, runs: 1, failures: 0 });
    expect(readFileSync(path.join(b, 'batches'), 'utf8')).toBe(readFileSync(path.join(a, 'batches'), 'utf8'));
  }, 180_000);
});
