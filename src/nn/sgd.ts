// nn/sgd.ts: mini-batch stochastic gradient descent, network.py's SGD().
// Each epoch shuffles the sample order with the seeded Rng, cuts it into
// mini-batches, and takes one gradient step per mini-batch; after each epoch
// the network is evaluated and the caller hears about it (to print, save a
// checkpoint, or stop). Knows no files and no screens.

import { gatherBatch, type LabelledImages } from '../data/dataset.js';
import type { Rng } from '../rng.js';
import type { Network, ShapeTrace } from './network.js';
import type { ThreadedSteps } from './threads.js';

export interface SgdOptions {
  /** The run's total epoch count (epochs are numbered from 1). */
  epochs: number;
  miniBatchSize: number;
  /** The learning rate η. */
  eta: number;
  /** Draws the shuffles; its state after an epoch is what a checkpoint keeps. */
  rng: Rng;
  /** Shuffle the training samples before every epoch (network.py does). Default true. */
  shuffle?: boolean;
  /** Start at this epoch, when resuming a run (default 1). */
  firstEpoch?: number;
  /** Evaluated after each epoch, as network.py's test_data. */
  evaluation?: LabelledImages;
  /** After each mini-batch: samples done so far in this epoch. */
  onProgress?: (epoch: number, done: number, total: number) => void;
  /** After each epoch; return false to stop training. */
  onEpoch?: (result: EpochResult) => boolean | void;
  /** Traces the shapes of the first mini-batch (--debug-shapes). */
  trace?: ShapeTrace;
  /** Share every step among threads (nn/threads.ts); the weights come out the same. */
  threads?: ThreadedSteps;
}

export interface EpochResult {
  epoch: number;
  /** Correctly classified evaluation samples, if an evaluation set was given. */
  correct: number | null;
  total: number | null;
  seconds: number;
  /** False when a weight or bias became NaN or infinite: training diverged and stops. */
  finite: boolean;
}

export function checkSgdOptions(o: Pick<SgdOptions, 'epochs' | 'miniBatchSize' | 'eta'>): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new RangeError(`epochs must be a positive integer; got ${o.epochs}`);
  if (!Number.isInteger(o.miniBatchSize) || o.miniBatchSize < 1) {
    throw new RangeError(`mini-batch size must be a positive integer; got ${o.miniBatchSize}`);
  }
  if (!(o.eta > 0) || !Number.isFinite(o.eta)) throw new RangeError(`eta must be a positive number; got ${o.eta}`);
}

/** Trains `net` in place; returns one result per epoch run. */
export function sgd(net: Network, training: LabelledImages, options: SgdOptions): EpochResult[] {
  checkSgdOptions(options);
  const { epochs, miniBatchSize, eta, rng, evaluation } = options;
  const shuffle = options.shuffle ?? true;
  const n = training.count;
  if (n < 1) throw new RangeError('sgd: the training set is empty');
  if (training.rows * training.cols !== net.sizes[0]) {
    throw new RangeError(`sgd: images have ${training.rows * training.cols} pixels but the network takes ${net.sizes[0]} inputs`);
  }
  const classes = net.sizes[net.numLayers - 1];
  const threads = options.threads;
  if (threads && threads.order.length !== n) throw new RangeError('sgd: the threads were started for another training set');
  const order = threads?.order ?? new Uint32Array(n);
  const results: EpochResult[] = [];
  let trace = options.trace;

  for (let epoch = options.firstEpoch ?? 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    // Every epoch starts from the natural order, so a run resumed from a
    // checkpoint (which keeps the Rng state) shuffles exactly as it would have.
    for (let i = 0; i < n; i++) order[i] = i;
    if (shuffle) rng.shuffle(order);

    for (let start = 0; start < n; start += miniBatchSize) {
      const m = Math.min(miniBatchSize, n - start); // the last mini-batch may be smaller
      if (threads && !trace) {
        threads.step(start, m, eta);
      } else {
        const x = net.input(m);
        const y = net.target(m);
        gatherBatch(x.data, y.data, classes, training, order, start, m);
        net.updateMiniBatch(x, y, eta, trace);
        trace = undefined;
      }
      options.onProgress?.(epoch, start + m, n);
    }

    const finite = net.isFinite();
    const correct = evaluation && finite ? (threads?.evaluates(evaluation) ? threads.evaluate() : net.evaluate(evaluation)) : null;
    const result: EpochResult = {
      epoch,
      correct,
      total: evaluation ? evaluation.count : null,
      seconds: (performance.now() - started) / 1000,
      finite,
    };
    results.push(result);
    if (options.onEpoch?.(result) === false || !finite) break;
  }
  return results;
}
