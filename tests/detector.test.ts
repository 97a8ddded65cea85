// The page's "is this a digit at all?" network (web/detector/, trained by
// scripts/train-detector.ts): measured on drawings it never saw, it flags
// most scribbles and almost no digits, MNIST's or drawn.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend.js';
import { bookSplit } from '../src/data/mnist.js';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { strokesToInput } from '../src/draw/preprocess.js';
import { SCRIBBLE_KINDS, scribbleStrokes } from '../src/draw/scribbles.js';
import { parseModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { HELD_OUT, notDigitProbability, scribbleImages, TRAIN_SCRIBBLES } from '../scripts/train-detector.js';

const dir = join(import.meta.dirname, '..', 'web', 'detector');
const net = parseModel(readFileSync(join(dir, 'not-a-digit.json'), 'utf8'), 'not-a-digit.json').network as Network;
const { threshold } = JSON.parse(readFileSync(join(dir, 'threshold.json'), 'utf8')) as { threshold: number };

describe('the not-a-digit detector', () => {
  it('is a 784-100-2 softmax network with a threshold between 0 and 1', () => {
    expect(net.sizes).toEqual([784, 100, 2]);
    expect(threshold).toBeGreaterThan(0);
    expect(threshold).toBeLessThan(1);
  });

  it('flags at most 1% of MNIST test digits and at least 80% of scribbles it never saw, of every kind', async () => {
    await selectBackend('wasm');
    const { test } = bookSplit((await loadMnist()).sets);
    const flagged = (ps: number[]) => ps.filter((p) => p > threshold).length / ps.length;
    expect(flagged(notDigitProbability(net, test.images))).toBeLessThanOrEqual(0.01);
    const seeds = HELD_OUT + 50_000; // past the training seeds (1…TRAIN_SCRIBBLES) and the script's own measure
    expect(seeds).toBeGreaterThan(TRAIN_SCRIBBLES);
    expect(flagged(notDigitProbability(net, scribbleImages(seeds, 1000)))).toBeGreaterThanOrEqual(0.8);
    for (const kind of SCRIBBLE_KINDS) {
      const one = strokesToInput(scribbleStrokes(seeds + 7, 320, kind))!;
      expect(net.predict(Array.from(one)).output[1], kind).toBeGreaterThan(threshold);
    }
  }, 60_000);

  it('flags no digit drawn through the page\'s preprocessing', () => {
    let flagged = 0;
    for (let d = 0; d < 10; d++) {
      for (let v = 0; v < 20; v++) {
        const input = strokesToInput(digitStrokes(d, variant(v + 1, 320, 5000 + d * 13 + v)))!;
        if (net.predict(Array.from(input)).output[1] > threshold) flagged++;
      }
    }
    expect(flagged).toBe(0);
  });
});
