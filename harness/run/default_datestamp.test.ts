// Default datestamps are unique: runs started in the same second without --datestamp all run,
// the later ones in `DATESTAMP.N`; a --datestamp the user chose that exists stays an error.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { datestamp } from '../lib/kvm_date.js';
import { claimResdir } from './run_session.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = makeTestTempDir('datestamp');
  made.push(d);
  return d;
}

function torture(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(ROOT, 'bin', 'torture.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.on('close', (code) => resolve({ code, out }));
  });
}

describe('the results directory of a default datestamp', () => {
  it('claimResdir: three claims of one name get NAME, NAME.2, NAME.3; a chosen name that exists is refused', () => {
    const root = tempDir();
    const want = path.join(root, 'sub', '2026.12.06-20.40.01');
    expect([1, 2, 3].map(() => path.basename(claimResdir(want, true)))).toEqual(['2026.12.06-20.40.01', '2026.12.06-20.40.01.2', '2026.12.06-20.40.01.3']);
    expect(() => claimResdir(want, false)).toThrow(`Cannot create results directory as '${want}' must not exist yet (choose another --datestamp): current value is an existing path`);
    expect(readdirSync(path.join(root, 'sub'))).toHaveLength(3);
  });

  it('two real runs whose default datestamp is taken both run, each in its own suffixed directory', async () => {
    const root = tempDir();
    // Take every default datestamp of the next minute, so that both runs collide whenever they start.
    const now = Date.now();
    for (let s = 0; s < 60; s++) mkdirSync(path.join(root, datestamp(new Date(now + s * 1000))));
    const args = ['--torture', 'lock', '--configs', 'LOCK01', '--kconfig', 'CONFIG_NR_CPUS=2', '--duration', '1s', '--results', root];
    const runs = await Promise.all([torture(args), torture(args)]);
    const dirs = runs.map((r) => {
      expect(r.code, r.out).toBe(0);
      return /^Results directory: (.*)$/m.exec(r.out)?.[1] ?? '';
    });
    expect(new Set(dirs).size).toBe(2);
    for (const d of dirs) {
      expect(path.dirname(d)).toBe(root);
      expect(path.basename(d)).toMatch(/^\d{4}\.\d\d\.\d\d-\d\d\.\d\d\.\d\d\.\d+$/);
      expect(existsSync(path.join(d, 'LOCK01', 'console.log'))).toBe(true);
      expect(JSON.parse(readFileSync(path.join(d, 'summary.json'), 'utf8'))).toMatchObject({ resultsDir: d, runs: 1, failures: 0 });
    }
  }, 120_000);
});
