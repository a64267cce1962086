// The results directory is input to recheck, report, again and merge: anything else is refused
// (exit 2, one line, nothing written into it), and a file that cannot be written (a full disk) is
// one plain line and a failure, never `internal error` and never a truncated file.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lockResults } from '../recheck/test_support/lock_results.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const made: string[] = [];
const mounts: string[] = [];

afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = makeTestTempDir('resdir-input');
  made.push(d);
  return d;
}

function torture(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a path that is not a results directory', () => {
  it.each([
    ['recheck', (d: string) => ['recheck', d], /^torture: Cannot recheck as 'DIR' must be a results directory: current value is .* \(a directory without log, nightly\.json or a scenario's console\.log\)$/],
    ['report', (d: string) => ['report', d], /^torture: Cannot write a report as 'DIR' must be a results directory: current value is /],
    ['again', (d: string) => ['again', d], /^torture: Cannot run again as 'DIR' must be a results directory of torture: current value is /],
    ['merge', (d: string) => ['merge', d, '--results', path.join(d, 'out')], /^torture: Cannot merge as 'DIR' must be a results directory: current value is /],
  ])('%s: exit 2, one line, nothing written into it', (_name, args, message) => {
    const d = tempDir();
    const r = torture(args(d));
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(readdirSync(d)).toEqual([]);
  });

  it.each([['recheck'], ['report']])('%s /proc: exit 2, one line (not internal error: ENOENT)', (cmd) => {
    const r = torture([cmd, '/proc']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/must be a results directory: current value is \/proc \(a directory without log/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});

describe('a results directory on a full disk', () => {
  it('report and recheck: one "Cannot write ... as the disk is full" line, exit 1, the summary still printed, no truncated or temporary file', (ctx) => {
    const dir = tempDir();
    // A 1 MB tmpfs: the run's files fit, index.html (its libraries inlined) does not.
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
    if (m.status !== 0) return ctx.skip(`mount -t tmpfs not permitted here: ${(m.stderr || String(m.error)).trim()}`);
    mounts.push(dir);
    lockResults(dir, { batches: true });

    const report = torture(['report', dir]);
    expect(report.code, report.stdout + report.stderr).toBe(1);
    expect(report.stderr.trim()).toBe(`torture: Cannot write ${path.join(dir, 'index.html')} as the disk is full (ENOSPC)`);
    expect(report.stdout).toContain(`JUnit: ${path.join(dir, 'junit.xml')}`);
    expect(readdirSync(dir).sort()).toEqual(['LOCK01', 'batches', 'junit.xml', 'log', 'torture_suite']);

    const recheck = torture(['recheck', dir]);
    expect(recheck.code, recheck.stdout + recheck.stderr).toBe(1);
    expect(recheck.stdout).toMatch(/Test summary:\nResults directory: /);
    expect(recheck.stdout).toContain('BUG: LOCK02: missing: planned but no scenario directory');
    expect(recheck.stdout).toContain(`Cannot write ${path.join(dir, 'index.html')} as the disk is full (ENOSPC)`);
    expect(recheck.stdout).toMatch(/exitcode 1\n$/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f === 'index.html')).toEqual([]);
  });
});
