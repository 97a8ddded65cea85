// node/capped-read.ts: reading a file the user named, as adversarial input:
// only a regular file (not a folder, a device or a FIFO that never ends), and
// at most a stated number of bytes, checked on the open descriptor (so the
// path cannot be swapped between the check and the read).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A regular file's bytes, at most maxBytes. `what` says what the file should
 * be, `kind` names it ("a model file"); `fail` makes the error to throw.
 */
export function readCapped(path: string, maxBytes: number, what: string, kind: string, fail: (message: string) => Error): Buffer {
  const fd = openSync(path, 'r');
  try {
    const s = fstatSync(fd);
    if (!s.isFile()) throw fail(`${path}: not a regular file; ${what}`);
    if (s.size > maxBytes) throw fail(`${path}: ${mb(s.size)}, more than the ${mb(maxBytes)} ${kind} may have; is it ${kind}?`);
    const buf = Buffer.alloc(s.size);
    let at = 0;
    while (at < s.size) {
      const n = readSync(fd, buf, at, s.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
