import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { colourLine, colourWanted, displayMode, liveBlock } from './progress_display.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';
import { untilSeen } from '../test_support/run_until.js';

// The live display on a real pseudo-terminal (util-linux `script`), and none on a pipe; colour on
// a terminal only, never under NO_COLOR.
const repo = path.resolve(import.meta.dirname, '..', '..');
const ESC = '\x1b';

describe('display mode and colour rules', () => {
  it('live only on a terminal without CI or --quiet; colour only on a terminal without NO_COLOR', () => {
    expect(displayMode({ isTTY: true, env: {}, quiet: false })).toBe('live');
    expect(displayMode({ isTTY: true, env: { CI: 'true' }, quiet: false })).toBe('plain');
    expect(displayMode({ isTTY: false, env: {}, quiet: false })).toBe('plain');
    expect(displayMode({ isTTY: true, env: {}, quiet: true })).toBe('quiet');
    expect(colourWanted({ isTTY: true, env: {}, quiet: false })).toBe(true);
    expect(colourWanted({ isTTY: true, env: { NO_COLOR: '1' }, quiet: false })).toBe(false);
    expect(colourWanted({ isTTY: false, env: {}, quiet: false })).toBe(false);
    expect(colourLine('BUG: x WARNING: y SUCCESS')).toBe(`${ESC}[31mBUG:${ESC}[39m x ${ESC}[33mWARNING:${ESC}[39m y ${ESC}[32mSUCCESS${ESC}[39m`);
  });
});

function run(secs: number, viaTerminal: boolean, env: Record<string, string>, extra: readonly string[] = []): Promise<string> {
  const results = makeTestTempDir('tty');
  const args = [path.join(repo, 'bin', 'torture.js'), '--torture', 'lock', '--configs', 'BUSTED', '--duration', `${secs}s`, '--results', results, '--datestamp', 'run', ...extra];
  const base: Record<string, string | undefined> = { ...process.env, ...env };
  delete base['CI'];
  delete base['NO_COLOR'];
  Object.assign(base, env);
  // script's pty starts 0x0 (nothing to redraw on): give it a size first, as a terminal has.
  const cmd = `stty rows 40 cols 160; exec ${[process.execPath, ...args].map((a) => `'${a}'`).join(' ')}`;
  const child = viaTerminal
    ? spawn('script', ['-qfec', cmd, '/dev/null'], { env: base, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { env: base, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(out)));
}

describe('the live block', () => {
  it('shows a guest as booting until its CPUs are up, then its test time (from the end of boot) and its boot time', () => {
    const base = { kind: 'progress', gps: 12, acquisitions: null, hotplugOk: 1, hotplugTried: 1, errors: 0 } as const;
    const row = (bootSec: number | null) => ({ tag: 'TREE05 8', suite: 'rcu' as const, durationSec: 10, startMs: 0, progress: { ...base, bootSec } });
    expect(liveBlock([row(null)], 1, 1, 10, 2500, false)).toContain('TREE05 8       booting 2.5 s  12 GPs');
    // 7.5 s since the guest started, 2.5 s of it boot: 5 s of the 10 s test.
    expect(liveBlock([row(2.5)], 1, 1, 10, 7500, false)).toContain('TREE05 8       0:05/0:10  12 GPs  hotplug 1/1  errors 0  boot 2.5 s');
  });
});

describe('torture on a terminal', () => {
  it('redraws live guest lines in place with colours; NO_COLOR=1 has no colour; a pipe shows neither', async () => {
    // Two at a time, so that BUSTED gets the host time to be caught (its BUG: line is the colour
    // test); 5 s, longer until every run has caught it.
    const { secs, outs } = await untilSeen(
      async (secs) => {
        const [tty, noColour] = await Promise.all([run(secs, true, {}), run(secs, true, { NO_COLOR: '1' })]);
        const [pipe, quiet] = await Promise.all([run(secs, false, {}), run(secs, true, {}, ['--quiet'])]);
        return { secs, outs: [tty, noColour, pipe, quiet] as const };
      },
      (r) => r.outs.slice(0, 3).every((o) => /BUG:(\x1b\[39m)? BUSTED FAILURE/.test(o)),
      { fromSec: 5, capSec: 40 },
    );
    const [tty, noColour, pipe, quiet] = outs;
    // --quiet: the summary only, on a terminal too.
    expect(quiet).not.toMatch(/---- Starting kernels|---- batch 1\/1|Random seed/);
    expect(quiet).toMatch(/^BUSTED ------- \d+ acquisitions\/releases/m);
    expect(quiet).toMatch(/ --- Done at .* exitcode \d/);
    const live = /---- batch 1\/1, 1 guest running, about \d+:\d\d left/;
    const row = new RegExp(`BUSTED 4 +\\d+:\\d\\d/0:${String(secs).padStart(2, '0')} {2}\\d+ acquisitions {2}hotplug \\d+/\\d+ {2}`);
    expect(tty).toMatch(live);
    expect(tty).toMatch(row);
    expect(tty).toContain(`${ESC}[2K`); // log-update erasing the block to redraw it
    expect(tty).toContain(`${ESC}[31mBUG:${ESC}[39m`);
    expect(noColour).toMatch(live);
    expect(noColour).toMatch(row);
    expect(noColour).toContain('BUG: BUSTED FAILURE');
    expect(noColour).not.toMatch(/\x1b\[3\dm/);
    expect(pipe).not.toMatch(live);
    expect(pipe).not.toContain(ESC);
    expect(pipe).toMatch(/^---- Starting kernels\. /m);
    expect(pipe).toContain('BUG: BUSTED FAILURE');
  }, 480_000);
});
