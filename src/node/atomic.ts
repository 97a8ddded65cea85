// node/atomic.ts: write a file so that readers see the old or the new
// content, never a half-written one: write a temporary file beside it
// (`<path>.tmp-<pid>-<random>`, created new, so never through a planted link),
// flush it to disk, then rename it over the target (atomic on POSIX file
// systems). Only a regular file is ever replaced: a link, a device or a
// folder at the path is refused.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** The path exists and is not a regular file: writing it would replace a link, a device or a folder. */
export class NotAFileError extends Error {
  override name = 'NotAFileError';
  readonly code = 'ENOTFILE';
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    let existing = null;
    try {
      existing = lstatSync(path);
    } catch {
      existing = null;
    }
    if (existing && !existing.isFile()) {
      throw new NotAFileError(`${path} is not a regular file (a link, a device or a folder); refusing to replace it`);
    }
    renameSync(tmp, path);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
