// A run whose results filesystem fills before its guests start: one plain `Cannot write ...`
// line, the summary of what ran still printed, exit 1 (it used to be `internal error: ENOSPC`
// with no summary), and no temporary file left behind.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mnt = makeTestTempDir('disk-full');
let mounted = false;
afterAll(() => {
  if (mounted) spawnSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('a run on a full disk', () => {
  it('stops with "Cannot write ... as the disk is full", prints the summary, exits 1', (ctx) => {
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) return ctx.skip(`mount -t tmpfs not permitted here: ${(m.stderr || String(m.error)).trim()}`);
    mounted = true;
    // Leave about 16 KB: the log and the run's small files fit, the scenario's do not.
    writeFileSync(path.join(mnt, 'fill'), Buffer.alloc(240 * 1024));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), '--torture', 'lock', '--configs', 'LOCK01', '--duration', '2s', '--results', mnt, '--datestamp', 'run'], {
      encoding: 'utf8',
      cwd: ROOT,
      timeout: 120_000,
    });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(1);
    expect(out).not.toMatch(/internal error/);
    expect(out).toMatch(/^---- Cannot write .*\/run\/.* as the disk is full \(ENOSPC\): ending the run early\./m);
    expect(out).toMatch(/Test summary:\nResults directory: /);
    expect(out).toMatch(/exitcode 1\n$/);
    expect(files(path.join(mnt, 'run')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 150_000);
});
