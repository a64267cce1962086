// writeFileAtomic: a results file is whole or absent, never truncated; a failure is one plain line.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WriteFailure, asWriteFailure, writeFileAtomic } from './write_file_atomic.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

const made: string[] = [];
const mounts: string[] = [];

function tempDir(): string {
  const d = makeTestTempDir('atomic');
  made.push(d);
  return d;
}

/** A tmpfs of `opts` on a new directory, or the reason it cannot be had (not root, no mount). */
function tmpfs(opts: string): { dir: string } | { skip: string } {
  const dir = tempDir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `mount -t tmpfs not permitted here: ${(r.stderr || String(r.error)).trim()}` };
  mounts.push(dir);
  return { dir };
}

afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the file and leaves no temporary name behind', () => {
    const d = tempDir();
    writeFileAtomic(path.join(d, 'summary.json'), '{"a":1}\n');
    writeFileAtomic(path.join(d, 'summary.json'), '{"a":2}\n');
    expect(readFileSync(path.join(d, 'summary.json'), 'utf8')).toBe('{"a":2}\n');
    expect(readdirSync(d)).toEqual(['summary.json']);
  });

  it('on a full disk: WriteFailure "Cannot write F as the disk is full (ENOSPC)", the old file intact, no temporary file', (ctx) => {
    const fs = tmpfs('size=64k');
    if ('skip' in fs) return ctx.skip(fs.skip);
    const f = path.join(fs.dir, 'index.html');
    writeFileSync(f, 'old page\n');
    let caught: unknown = null;
    try {
      writeFileAtomic(f, 'x'.repeat(256 * 1024));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WriteFailure);
    expect((caught as WriteFailure).message).toBe(`Cannot write ${f} as the disk is full (ENOSPC)`);
    expect(readFileSync(f, 'utf8')).toBe('old page\n');
    expect(readdirSync(fs.dir)).toEqual(['index.html']);
  });

  it('on a read-only filesystem: "as the filesystem is read-only (EROFS)"', (ctx) => {
    const fs = tmpfs('size=64k,ro');
    if ('skip' in fs) return ctx.skip(fs.skip);
    const f = path.join(fs.dir, 'junit.xml');
    expect(() => writeFileAtomic(f, '<testsuites/>\n')).toThrow(`Cannot write ${f} as the filesystem is read-only (EROFS)`);
  });

  it('asWriteFailure: a filesystem error names its path; anything else is not one', () => {
    const e = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', path: '/r/x/guest-spec.json' });
    expect(asWriteFailure(e, '/r')?.message).toBe('Cannot write /r/x/guest-spec.json as the disk is full (ENOSPC)');
    expect(asWriteFailure(Object.assign(new Error('denied'), { code: 'EACCES' }), '/r')?.message).toBe('Cannot write /r as permission is denied (EACCES)');
    expect(asWriteFailure(new TypeError('x is undefined'), '/r')).toBeNull();
  });
});
