// node/cache.ts: the download cache, data/<dataset>/ (Node only). A file
// lands there only after its SHA-256 matched, through a temporary file and
// an atomic rename, so the cache never holds a partial or unverified file;
// two downloads at once each rename a complete file. A cached file is
// re-checked before use: its size every time, its digest once per process.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/datasets.js';
import { downloadFile, verifyFile, type FetchOptions } from '../data/fetch.js';
import { DataFileError } from '../data/idx.js';
import type { MnistFileKey, NamedBytes } from '../data/mnist.js';
import { writeFileAtomic } from './atomic.js';

export const DEFAULT_CACHE_ROOT = 'data';

export function cacheDir(dataset: Dataset, root = DEFAULT_CACHE_ROOT): string {
  return join(root, dataset.name);
}

const verified = new Set<string>();

/** The cached file, checked, or null when it is missing or not the right file. */
export async function readCached(dataset: Dataset, key: MnistFileKey, root = DEFAULT_CACHE_ROOT): Promise<NamedBytes | null> {
  const file = dataset.files[key];
  const path = join(cacheDir(dataset, root), file.name);
  if (!existsSync(path) || statSync(path).size !== file.bytes) return null;
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const token = `${path}:${file.sha256}`;
  if (!verified.has(token)) {
    try {
      await verifyFile(file, key, bytes, path);
    } catch {
      return null;
    }
    verified.add(token);
  }
  return { name: path, bytes };
}

/** True when all four files are cached and check out. */
export async function isCached(dataset: Dataset, root = DEFAULT_CACHE_ROOT): Promise<boolean> {
  for (const key of Object.keys(dataset.files) as MnistFileKey[]) {
    if (!(await readCached(dataset, key, root))) return false;
  }
  return true;
}

export interface EnsureOptions extends FetchOptions {
  root?: string;
  /** Download even what is cached. */
  force?: boolean;
  /** Hears about each file: cached or downloaded (and from where). */
  onFile?: (key: MnistFileKey, how: 'cached' | 'downloaded', where: string) => void;
}

/** Makes sure all four files are in the cache, downloading what is missing; returns the folder. */
export async function ensureDataset(dataset: Dataset, options: EnsureOptions = {}): Promise<string> {
  const root = options.root ?? DEFAULT_CACHE_ROOT;
  const dir = cacheDir(dataset, root);
  for (const key of Object.keys(dataset.files) as MnistFileKey[]) {
    if (!options.force && (await readCached(dataset, key, root))) {
      options.onFile?.(key, 'cached', dir);
      continue;
    }
    const got = await downloadFile(dataset, key, options);
    const path = join(dir, dataset.files[key].name);
    try {
      writeFileAtomic(path, got.bytes);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why =
        code === 'EACCES' || code === 'EPERM' ? 'permission denied'
        : code === 'EROFS' ? 'the file system is read-only'
        : code === 'ENOSPC' ? 'the disk is full'
        : (err as Error).message;
      throw new DataFileError(`cannot save ${path}: ${why}; make ${dir} writable (or free space), or pass --data-dir with the files`);
    }
    verified.add(`${path}:${dataset.files[key].sha256}`);
    options.onFile?.(key, 'downloaded', got.mirror);
  }
  return dir;
}
