import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// --memory: a per-guest cap enforced as V8 heap limits. A guest over it (planted with the
// torture.test_leak_mb boot parameter) is killed and reported as out of memory, and the batch
// goes on: the other guest of the same batch ends SUCCESS.
const repo = path.resolve(import.meta.dirname, '..', '..');

describe('torture --memory', () => {
  it('reports a leaking guest out of memory while the rest of its batch runs on', () => {
    const root = makeTestTempDir('mem');
    cpSync(path.join(repo, 'configs', 'lock'), path.join(root, 'configs', 'lock'), { recursive: true });
    writeFileSync(path.join(root, 'configs', 'lock', 'LEAK'), readFileSync(path.join(repo, 'configs', 'lock', 'LOCK01')));
    writeFileSync(path.join(root, 'configs', 'lock', 'LEAK.boot'), 'torture.test_leak_mb=4000\n');
    const r = spawnSync(
      process.execPath,
      [path.join(repo, 'bin', 'torture.js'), '--torture', 'lock', '--configs', 'LEAK LOCK01', '--cpus', '8', '--duration', '8s', '--memory', '128M', '--results', root, '--datestamp', 'run'],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TORTURE_CONFIGS: path.join(root, 'configs') } },
    );
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(1);
    const dir = path.join(root, 'run');
    // The cap is on the command line that ran: 128 MB over 5 heaps (main thread + 4 CPUs).
    expect(readFileSync(path.join(dir, 'LEAK', 'qemu-cmd'), 'utf8')).toMatch(/ --max-old-space-size=25 .* -smp 4 -m 128M -append "/);
    expect(out).toMatch(/^---- LEAK 4: Guest at pid \d+ out of memory \(exit code \d+\) after /m);
    expect(readFileSync(path.join(dir, 'LEAK', 'console.log'), 'utf8')).toMatch(/Kernel panic - not syncing: Out of memory: CPU \d exceeded its 25 MB heap share of -m 128M/);
    const leak = JSON.parse(readFileSync(path.join(dir, 'LEAK', 'summary.json'), 'utf8')) as { verdict: string; reasons: string[] };
    expect(leak.verdict).toBe('failure');
    expect(leak.reasons.some((x) => /^out of memory: CPU \d over its 25 MB heap share \(--memory 128M\)$/.test(x)), leak.reasons.join('\n')).toBe(true);
    const ok = JSON.parse(readFileSync(path.join(dir, 'LOCK01', 'summary.json'), 'utf8')) as { verdict: string; endOfTest: string | null };
    expect(ok).toMatchObject({ verdict: 'success', endOfTest: 'SUCCESS' });
  }, 150_000);
});
