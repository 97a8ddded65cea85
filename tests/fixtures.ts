// tests/fixtures.ts: small data sets and IDX files built by hand for tests.

import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledImages } from '../src/data/dataset.js';
import { Rng } from '../src/rng.js';

/** n random images of rows×cols bytes with labels 0..classes−1. */
export function randomImages(seed: number, n: number, rows = 28, cols = 28, classes = 10): LabelledImages {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * rows * cols);
  for (let i = 0; i < images.length; i++) images[i] = rng.below(256);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.below(classes);
  return { images, labels, count: n, rows, cols };
}

/** The bytes of an IDX image file (magic 2051). */
export function idxImages(count: number, rows: number, cols: number, pixels: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + pixels.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 2051);
  v.setUint32(4, count);
  v.setUint32(8, rows);
  v.setUint32(12, cols);
  out.set(pixels, 16);
  return out;
}

/** The bytes of an IDX label file (magic 2049). */
export function idxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 2049);
  v.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}

/** Writes a small MNIST-layout folder (four IDX files, optionally gzipped). */
export function writeMnistDir(dir: string, train: LabelledImages, test: LabelledImages, gzip = false): void {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  put('train-images-idx3-ubyte', idxImages(train.count, train.rows, train.cols, train.images));
  put('train-labels-idx1-ubyte', idxLabels(train.labels));
  put('t10k-images-idx3-ubyte', idxImages(test.count, test.rows, test.cols, test.images));
  put('t10k-labels-idx1-ubyte', idxLabels(test.labels));
}
