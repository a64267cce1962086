/*
 * The one way a results file is written (summary.json, junit.xml, index.html, nightly.json,
 * job.json, ...): to a temporary name in the same directory, then renamed over the real name, so
 * that a reader never finds a truncated file that looks complete (a full disk used to leave half
 * an index.html behind, and exit 0). A failure is a WriteFailure with a plain message naming the
 * file and why (`Cannot write DIR/index.html as the disk is full (ENOSPC)`): the caller still
 * prints what ran, then fails. In lib/ because recheck, the report, the battery and the driver
 * all write results files and none of them should import another for it.
 */

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Why a write failed, in words, by errno code; any other code is shown as is. */
const WRITE_ERRNO_WORDS = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EACCES: 'permission is denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the filesystem is read-only',
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a component of its path is not a directory',
  EISDIR: 'it is a directory',
  EIO: 'of an I/O error',
} as const;

/** A results file that could not be written: `message` is the one line to print. */
export class WriteFailure extends Error {
  override readonly name = 'WriteFailure';
  readonly file: string;
  readonly errno: string;
  constructor(file: string, cause: unknown) {
    const errno = errnoOf(cause);
    const words = (WRITE_ERRNO_WORDS as Readonly<Record<string, string>>)[errno] ?? `of ${errno}`;
    super(`Cannot write ${file} as ${words} (${errno})`, { cause });
    this.file = file;
    this.errno = errno;
  }
}

export function isWriteFailure(e: unknown): e is WriteFailure {
  return e instanceof WriteFailure;
}

function errnoOf(e: unknown): string {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
}

let sequence = 0;

/** Write `data` to `file` through a temporary name beside it; throws WriteFailure. */
export function writeFileAtomic(file: string, data: string): void {
  // Unique per process and call: two writers of one directory (a battery's jobs) never share it.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${++sequence}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The temporary name was never made (EROFS, EACCES): nothing to remove.
    }
    throw new WriteFailure(file, e);
  }
}

/**
 * `e` as a WriteFailure: itself, or a filesystem error (errno code) naming the file it carries
 * (else `fallback`); null for anything else (a bug, which must stay one).
 */
export function asWriteFailure(e: unknown, fallback: string): WriteFailure | null {
  if (isWriteFailure(e)) return e;
  if (!(e instanceof Error && 'code' in e && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code))) return null;
  return new WriteFailure('path' in e && typeof e.path === 'string' ? e.path : fallback, e);
}
