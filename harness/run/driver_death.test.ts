import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// No loose ends: a guest dies with its driver however the driver dies. The guest holds an IPC
// channel to the driver and exits when it closes; kill -9 of the driver closes it.
const repo = path.resolve(import.meta.dirname, '..', '..');

/**
 * Whether `pid` still runs. A dead guest is a zombie until its new parent (PID 1, as the driver
 * is gone) reaps it, which some init processes do slowly: a zombie runs nothing, so it counts as
 * gone (state Z in /proc/PID/stat).
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Poll `cond` every 20 ms for at most `ms` (a bounded wait for another process's state). */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

describe('a driver killed with SIGKILL', () => {
  it('leaves no guest process a second later', async () => {
    const results = makeTestTempDir('kill9');
    const driver = spawn(process.execPath, [path.join(repo, 'bin', 'torture.js'), '--torture', 'lock', '--configs', 'LOCK01', '--duration', '5m', '--results', results, '--datestamp', 'run'], {
      stdio: 'ignore',
    });
    const log = path.join(results, 'run', 'log');
    const guestPid = (): number | null => {
      if (!existsSync(log)) return null;
      const m = /Monitoring guest at pid (\d+)/.exec(readFileSync(log, 'utf8'));
      return m === null ? null : Number(m[1]);
    };
    // Meet the guest once it runs (its console has the torture module's start line).
    const consoleLog = path.join(results, 'run', 'LOCK01', 'console.log');
    const started = (): boolean => guestPid() !== null && existsSync(consoleLog) && readFileSync(consoleLog, 'utf8').includes('Start of test');
    expect(await until(started, 60_000)).toBe(true);
    const pid = guestPid() ?? -1;
    expect(alive(pid)).toBe(true);
    const driverGone = new Promise<void>((resolve) => driver.once('exit', () => resolve()));
    driver.kill('SIGKILL');
    await driverGone;
    const t0 = Date.now();
    const gone = await until(() => !alive(pid), 1000);
    if (!gone) process.kill(pid, 'SIGKILL');
    expect(gone, `guest ${pid} still alive ${Date.now() - t0} ms after its driver was killed`).toBe(true);
  }, 90_000);
});
