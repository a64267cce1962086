import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// `torture again DIR` reruns DIR's scenarios with the same merged configs, boot parameters and
// seed (kvm-again.sh); --duration changes only shutdown_secs.
const repo = path.resolve(import.meta.dirname, '..', '..');

function torture(args: readonly string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'torture.js'), ...args], { encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const appendOf = (dir: string): string => /-append "([^"]*)"/.exec(readFileSync(path.join(dir, 'qemu-cmd'), 'utf8'))?.[1] ?? '';

const results = makeTestTempDir('again');
afterAll(() => rmSync(results, { recursive: true, force: true }));

/** A copy of the first run's directory as `name`, with `edit` applied to one scenario file's JSON. */
function damaged(name: string, file: string, edit: (j: Record<string, unknown>) => void): string {
  const dir = path.join(results, name);
  cpSync(path.join(results, 'first'), dir, { recursive: true });
  const f = path.join(dir, 'LOCK01', file);
  const j = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(f, JSON.stringify(j, null, 2) + '\n');
  return dir;
}

describe('torture again', () => {
  it('reproduces the seed, the merged configs and the boot line (shown in both logs)', () => {
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

  // Runs after the test above, on its `first` directory.
  it('checks scenario.json and guest-spec.json as configs/ are: a bad one is exit 2, one line, nothing started', () => {
    const cases: [string, string, (j: Record<string, unknown>) => void, RegExp][] = [
      ['zero-cpus', 'scenario.json', (j) => (j['nrCpus'] = 0), /LOCK01\/scenario\.json must be an integer from 1 to \d+ CPUs per guest: current value is 0$/],
      ['more-cpus', 'scenario.json', (j) => (j['nrCpus'] = 5), /'nrCpus' in .*scenario\.json must be 3, as its kconfig and boot line give .*: current value is 5$/],
      ['bad-param', 'scenario.json', (j) => (j['bootWords'] = [...(j['bootWords'] as string[]), 'locktorture.nwriters_stress=lots']), /Cannot load .*scenario\.json \(boot line\) as 'locktorture\.nwriters_stress' must be /],
      ['bad-kconfig', 'scenario.json', (j) => (j['kconfig'] = { ...(j['kconfig'] as object), CONFIG_NO_SUCH_THING: 'y' }), /as 'CONFIG_NO_SUCH_THING' must be a Kconfig option the model knows/],
      ['bad-grace', 'guest-spec.json', (j) => (j['shutdownGraceSec'] = -1), /Cannot use shutdownGraceSec in .*guest-spec\.json as 'SECS' must be an integer/],
    ];
    for (const [name, file, edit, message] of cases) {
      const dir = damaged(name, file, edit);
      const before = readdirSync(results).sort();
      const r = torture(['again', dir, '--duration', '2s', '--datestamp', `${name}-again`]);
      expect(r.code, `${name}: ${r.out}`).toBe(2);
      expect(r.out.split('\n')[0], name).toMatch(message);
      expect(readdirSync(results).sort(), name).toEqual(before);
    }
  }, 120_000);
});
