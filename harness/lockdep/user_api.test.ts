import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attachLockdep, createLockdepBuffer, type LockdepReport } from './user_api.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('torture/lockdep user API', () => {
  it('the two-worker example prints the circular report with both stacks', async () => {
    const { stderr, code } = await new Promise<{ stderr: string; code: number }>((resolve) => {
      execFile(process.execPath, [path.join(here, 'examples', 'two_workers.mjs')], { timeout: 30_000 }, (err, _out, stderr) =>
        resolve({ stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1 }),
      );
    });
    expect(code).toBe(0);
    expect(stderr).toContain('WARNING: possible circular locking dependency detected');
    expect(stderr).toContain('second/');
    expect(stderr).toMatch(/-> #1 \(lock_b\)\{\+\.\+\.\}-\{3:3\}:\n(.*\n)*? {6}take_a_then_b \(harness\/lockdep\/examples\/two_workers\.mjs:\d+\)/);
    expect(stderr).toMatch(/-> #0 \(lock_a\)\{\+\.\+\.\}-\{3:3\}:\n(.*\n)*? {6}take_b_then_a \(harness\/lockdep\/examples\/two_workers\.mjs:\d+\)/);
  });

  it('delivers reports to a callback and can go on after the first one', () => {
    const buf = createLockdepBuffer({ MAX_LOCKDEP_KEYS: 32, MAX_LOCKDEP_CHAINS: 64, MAX_LOCKDEP_ENTRIES: 64, ARENA_WORDS: 1 << 15 });
    const got: LockdepReport[] = [];
    const ld = attachLockdep(buf, { name: 'me', pid: 42, onReport: (r) => got.push(r), continueAfterReport: true });
    const A = ld.lockClass('a');
    const B = ld.lockClass('b');
    const S = ld.lockClass('s', 'rwsem');
    for (let i = 0; i < 2; i++) {
      ld.acquire(A);
      ld.acquire(B);
      ld.release(B);
      ld.release(A);
      ld.acquire(B);
      ld.acquire(A);
      ld.release(A);
      ld.release(B);
    }
    ld.acquire(S, { read: true });
    ld.acquire(S, { read: true });
    ld.release(S);
    ld.release(S);
    expect(got.map((r) => r.kind)).toEqual(['circular', 'recursive']);
    expect(got[0]?.text).toContain('me/42 is trying to acquire lock:');
    expect(ld.enabled).toBe(true);
  });
});
