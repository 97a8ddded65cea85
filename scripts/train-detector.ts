// scripts/train-detector.ts: `npm run train:detector`: trains the page's
// "is this a digit at all?" network and writes web/detector/: a small
// fully-connected net (784-100-2, softmax) that tells MNIST's digits from
// generated scribbles (src/draw/scribbles.ts), and the threshold at which the
// page says "that does not look like a digit", chosen on MNIST's validation
// images. Prints how often it flags digits and scribbles it never saw.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../src/backend.js';
import type { LabelledImages } from '../src/data/dataset.js';
import { bookSplit } from '../src/data/mnist.js';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { strokesToInput } from '../src/draw/preprocess.js';
import { scribbleStrokes } from '../src/draw/scribbles.js';
import { LogLikelihoodCost } from '../src/nn/costs.js';
import { serializeModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { sgd } from '../src/nn/sgd.js';
import { runMain } from '../src/node/cli.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { Rng } from '../src/rng.js';

const root = join(import.meta.dirname, '..');
export const DETECTOR_DIR = join(root, 'web', 'detector');

/** Seeds of the scribbles it trains on; those from HELD_OUT on are for measuring only. */
export const TRAIN_SCRIBBLES = 25_000;
export const HELD_OUT = 1_000_000;
/** The share of MNIST validation digits the threshold may flag. */
const FLAG_DIGITS = 0.005;

/** n scribbles from seeds first…first+n−1, as 28×28 bytes through the page's preprocessing. */
export function scribbleImages(first: number, n: number): Uint8Array {
  const out = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) {
    const input = strokesToInput(scribbleStrokes(first + i))!;
    for (let k = 0; k < 784; k++) out[i * 784 + k] = Math.round(255 * input[k]);
  }
  return out;
}

/** P(not a digit) for each image (bytes, 784 each). */
export function notDigitProbability(net: Network, images: Uint8Array): number[] {
  const out: number[] = [];
  const x = new Array<number>(784);
  for (let i = 0; i < images.length / 784; i++) {
    for (let k = 0; k < 784; k++) x[k] = images[i * 784 + k] / 255;
    out.push(net.predict(x).output[1]);
  }
  return out;
}

async function main(): Promise<void> {
  await selectBackend('auto');
  const { training, validation, test } = bookSplit((await loadMnist()).sets);
  process.stdout.write(`making ${TRAIN_SCRIBBLES} scribbles…\n`);
  const scribbles = scribbleImages(1, TRAIN_SCRIBBLES);
  const n = training.count + TRAIN_SCRIBBLES;
  const images = new Uint8Array(n * 784);
  images.set(training.images);
  images.set(scribbles, training.count * 784);
  const labels = new Uint8Array(n); // 0: a digit (MNIST), 1: not a digit (a scribble)
  labels.fill(1, training.count);
  const set: LabelledImages = { images, labels, count: n, rows: 28, cols: 28 };
  const rng = new Rng(1);
  const net = Network.random([784, 100, 2], rng, { cost: LogLikelihoodCost, init: 'default' });
  const epochs = 4;
  sgd(net, set, {
    epochs, miniBatchSize: 10, eta: 0.1, rng,
    onEpoch: (r) => process.stdout.write(`epoch ${r.epoch}/${epochs}: ${r.seconds.toFixed(1)} s\n`),
  });
  // the threshold: the (1 − FLAG_DIGITS) quantile of P(not a digit) over MNIST's validation digits
  const onValidation = notDigitProbability(net, validation.images).sort((a, b) => a - b);
  const threshold = Math.max(0.5, onValidation[Math.ceil((1 - FLAG_DIGITS) * onValidation.length) - 1]);
  const rate = (ps: number[]) => ps.filter((p) => p > threshold).length / ps.length;
  const heldOut = notDigitProbability(net, scribbleImages(HELD_OUT, 2000));
  const drawn: number[] = [];
  for (let d = 0; d < 10; d++) {
    for (let v = 0; v < 50; v++) {
      const input = strokesToInput(digitStrokes(d, variant(v + 1, 320, 1000 + d * 97 + v)))!;
      drawn.push(net.predict(Array.from(input)).output[1]);
    }
  }
  const figures = {
    threshold,
    flagged: {
      mnistTest: rate(notDigitProbability(net, test.images)),
      mnistValidation: rate(onValidation),
      heldOutScribbles: rate(heldOut),
      drawnDigits: rate(drawn),
    },
  };
  mkdirSync(DETECTOR_DIR, { recursive: true });
  writeFileAtomic(join(DETECTOR_DIR, 'not-a-digit.json'), serializeModel(net));
  writeFileSync(join(DETECTOR_DIR, 'threshold.json'), `${JSON.stringify({ threshold }, null, 1)}\n`);
  process.stdout.write(
    `threshold P(not a digit) > ${threshold.toFixed(4)}: flags ${(100 * figures.flagged.mnistValidation).toFixed(2)}% of MNIST validation digits, ` +
      `${(100 * figures.flagged.mnistTest).toFixed(2)}% of MNIST test digits, ` +
      `${(100 * figures.flagged.heldOutScribbles).toFixed(1)}% of 2,000 scribbles it never saw, ` +
      `${(100 * figures.flagged.drawnDigits).toFixed(1)}% of 500 digits drawn by src/draw/handwriting.ts\nwrote web/detector/\n`,
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) void runMain('train:detector', main);
