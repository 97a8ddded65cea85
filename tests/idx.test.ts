// The IDX parser and the MNIST decoding on hand-built buffers, including
// every kind of corruption it must name.

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataFileError, gunzipIfNeeded, parseIdxImages, parseIdxLabels } from '../src/data/idx.js';
import { bookSplit, decodeLabelledImages, decodeMnist } from '../src/data/mnist.js';
import { idxImages, idxLabels, randomImages } from './fixtures.js';

const set = randomImages(1, 3, 2, 4);
const images = idxImages(3, 2, 4, set.images);
const labels = idxLabels(set.labels);

describe('parseIdxImages / parseIdxLabels', () => {
  it('read the header and the bytes', () => {
    const img = parseIdxImages(images, 'img');
    expect([img.count, img.rows, img.cols]).toEqual([3, 2, 4]);
    expect(Array.from(img.pixels)).toEqual(Array.from(set.images));
    const lab = parseIdxLabels(labels, 'lab');
    expect(lab.count).toBe(3);
    expect(Array.from(lab.labels)).toEqual(Array.from(set.labels));
  });

  it('name the file and what is wrong', () => {
    const cases: [() => unknown, string][] = [
      [() => parseIdxImages(images.subarray(0, 10), 'a.idx'), 'a.idx: only 10 bytes, too short for an IDX images header (16 bytes)'],
      [() => parseIdxImages(labels, 'b.idx'), 'b.idx: magic number is 2049 (a label file), expected 2051 for IDX images'],
      [() => parseIdxLabels(images, 'c.idx'), 'c.idx: magic number is 2051 (an image file), expected 2049 for IDX labels'],
      [() => parseIdxImages(new Uint8Array(20).fill(7), 'd.idx'), 'd.idx: magic number is 117901063, expected 2051'],
      [() => parseIdxImages(images.subarray(0, images.length - 1), 'e.idx'), 'e.idx: truncated: the header promises 3 images × 2×4 pixels = 24 bytes but only 23 follow'],
      [() => parseIdxLabels(labels.subarray(0, 9), 'f.idx'), 'f.idx: truncated: the header promises 3 labels = 3 bytes but only 1 follow'],
      [() => parseIdxLabels(new Uint8Array([...labels, 0]), 'g.idx'), 'g.idx: 1 bytes more than the header'],
      [() => parseIdxImages(idxImages(1, 0, 4, new Uint8Array(0)), 'h.idx'), 'h.idx: images of 0×4 pixels'],
    ];
    for (const [f, message] of cases) {
      expect(f).toThrow(DataFileError);
      expect(f).toThrow(message);
    }
  });

  it('work on a view into a larger buffer (byteOffset ≠ 0)', () => {
    const big = new Uint8Array(labels.length + 5);
    big.set(labels, 5);
    expect(parseIdxLabels(big.subarray(5)).count).toBe(3);
  });
});

describe('gzip', () => {
  it('is decompressed transparently and raw bytes pass through', async () => {
    expect(Array.from(await gunzipIfNeeded(gzipSync(images), 'x.gz'))).toEqual(Array.from(images));
    expect(await gunzipIfNeeded(images, 'x')).toBe(images);
  });

  it('a truncated or corrupt gzip file is an error naming it', async () => {
    const gz = gzipSync(images);
    await expect(gunzipIfNeeded(gz.subarray(0, gz.length - 8), 't.gz')).rejects.toThrow(/^t\.gz: not a valid gzip file/);
    const bad = gz.slice();
    bad.fill(0xff, 12, 30);
    await expect(gunzipIfNeeded(bad, 'c.gz')).rejects.toThrow(DataFileError);
  });
});

describe('MNIST decoding', () => {
  const named = (name: string, bytes: Uint8Array) => ({ name, bytes });

  it('pairs images with labels and checks they agree', async () => {
    const s = await decodeLabelledImages(named('i', gzipSync(images)), named('l', labels));
    expect(s.count).toBe(3);
    expect(Array.from(s.labels)).toEqual(Array.from(set.labels));
    await expect(decodeLabelledImages(named('i', images), named('l', idxLabels(new Uint8Array(2))))).rejects.toThrow(
      'i has 3 images but l has 2 labels; the two files do not belong together',
    );
    await expect(decodeLabelledImages(named('i', images), named('l', idxLabels(new Uint8Array([1, 12, 3]))))).rejects.toThrow(
      'l: label 12 at index 1 is not a digit 0–9',
    );
  });

  it("splits as the book: the last sixth of the training file is validation", async () => {
    const train = randomImages(2, 120, 2, 2);
    const test = randomImages(3, 7, 2, 2);
    const sets = await decodeMnist({
      trainImages: named('ti', idxImages(120, 2, 2, train.images)),
      trainLabels: named('tl', idxLabels(train.labels)),
      testImages: named('si', idxImages(7, 2, 2, test.images)),
      testLabels: named('sl', idxLabels(test.labels)),
    });
    const split = bookSplit(sets);
    expect([split.training.count, split.validation.count, split.test.count]).toEqual([100, 20, 7]);
    expect(Array.from(split.validation.labels)).toEqual(Array.from(train.labels.subarray(100)));
    expect(split.note).toContain('100 training, 20 validation (the last sixth of 120');
    await expect(
      decodeMnist({
        trainImages: named('ti', idxImages(120, 2, 2, train.images)),
        trainLabels: named('tl', idxLabels(train.labels)),
        testImages: named('si', idxImages(7, 1, 4, test.images)),
        testLabels: named('sl', idxLabels(test.labels)),
      }),
    ).rejects.toThrow('training images are 2×2 but test images are 1×4');
  });
});
