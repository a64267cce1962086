// RunSession on its own: the log, the three ways a session stops, and that close() leaves no handler behind.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from './run_session.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

function session(stopFile = false): { s: RunSession; echoed: string[] } {
  const root = makeTestTempDir('session');
  const echoed: string[] = [];
  const s = new RunSession({
    resdir: path.join(root, 'a', 'b'),
    commandLine: 'torture --x',
    echo: (l) => echoed.push(l),
    banner: 'banner',
    stopLine: (why) => `stop: ${why}`,
    stopFile,
  });
  return { s, echoed };
}

describe('RunSession', () => {
  it('makes the results directory and its log (command line first), echoes every logged line', () => {
    const { s, echoed } = session();
    s.log('one');
    s.close();
    expect(readFileSync(path.join(s.resdir, 'log'), 'utf8')).toBe('torture --x\none\n');
    expect(echoed).toEqual(['banner', 'one']);
    expect(s.exitCode(0)).toBe(0);
  });

  it('refuses a results directory that exists (one line, exit 2 through the CLI)', () => {
    const { s } = session();
    s.close();
    expect(() => new RunSession({ resdir: s.resdir, commandLine: 'x', echo: () => undefined })).toThrow(/must not exist yet/);
  });

  it('SIGINT: one stop line, the stop handler on every signal, exit 130, not run (SIGINT); close() unhooks', () => {
    const before = process.listenerCount('SIGINT');
    const { s, echoed } = session();
    const kills: string[] = [];
    s.onStop((why, sig) => kills.push(`${why}/${sig ?? 'none'}`));
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT');
    process.emit('SIGTERM');
    expect(kills).toEqual(['SIGINT/SIGINT', 'SIGTERM/SIGTERM']);
    expect(echoed.filter((l) => l.startsWith('stop:'))).toEqual(['stop: SIGINT']);
    expect(s.stopReason).toBe('SIGINT');
    expect(s.notRun()).toBe('not run (SIGINT)');
    expect(s.notRun('Not run')).toBe('Not run (SIGINT)');
    expect(s.exitCode(0)).toBe(130);
    s.close();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('a STOP file stops the session (exit code the caller\'s verdict)', async () => {
    const { s } = session(true);
    const stopped = new Promise<string>((resolve) => s.onStop((why) => resolve(why)));
    writeFileSync(path.join(s.resdir, 'STOP'), '');
    // Waits for the poll to see the file; the cap only bounds a broken poll.
    const why = await Promise.race([stopped, new Promise<string>((r) => setTimeout(() => r('timed out'), 30_000))]);
    s.close();
    expect(why).toBe('STOP file found');
    expect(s.exitCode(1)).toBe(1);
    expect(existsSync(path.join(s.resdir, 'log'))).toBe(true);
  });

  it('a write failure: the line is still echoed, the session fails (exit 1) and, through failWrite, stops as a STOP would', () => {
    const { s, echoed } = session();
    const log = path.join(s.resdir, 'log');
    rmSync(log);
    mkdirSync(log);
    s.log('still shown');
    expect(echoed).toContain('still shown');
    expect(s.writeFailures).toEqual([`Cannot write ${log} as it is a directory (EISDIR)`]);
    expect(s.exitCode(0)).toBe(1);
    expect(s.stopReason).toBeNull();
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: path.join(s.resdir, 'x.json') });
    s.failWrite(full);
    expect(s.stopReason).toBe(`Cannot write ${path.join(s.resdir, 'x.json')} as the disk is full (ENOSPC)`);
    expect(echoed).toContain(`stop: ${s.stopReason ?? ''}`);
    expect(() => s.failWrite(new TypeError('a bug'))).toThrow('a bug');
    s.close();
  });
});
