// nn/classifier.ts: what every network does with data once it can feed a
// mini-batch forward: count the right answers, collect the outputs (for
// ensembles), average the cost, predict one image: the part of a network
// that needs only a forward pass. LayerStack (and so Network, a stack of dense
// layers) provides the buffers, the forward pass and the cost.

import { gatherBatch, type LabelledImages } from '../data/dataset.js';
import { allFinite } from '../kernels/elementwise.js';
import type { Matrix } from '../tensor/matrix.js';
import { argmaxCols } from '../tensor/ops.js';
import type { Rng } from '../rng.js';

/** A mini-batch's buffers: inputs x (inputSize × m), desired outputs y (classes × m), one sample per column. */
export interface BatchBuffers {
  readonly x: Matrix;
  readonly y: Matrix;
  readonly predictions: Uint8Array;
}

export abstract class Classifier {
  /** Every weight and bias, in one buffer. */
  abstract readonly params: Float32Array;
  /** Values per sample in (784 for MNIST) and out (10). */
  abstract readonly inputSize: number;
  abstract readonly classes: number;
  /** Draws the dropout masks while training (sgd sets it: its own Rng). */
  dropoutRng: Rng | null = null;
  /** Samples fed forward at a time when evaluating. */
  protected abstract readonly evalBatch: number;

  /** The buffers for mini-batches of m samples, made on first use and kept. */
  protected abstract batch(m: number): BatchBuffers;
  /** The output layer (classes × m) for the m columns of x, as evaluation sees it (no dropout). */
  protected abstract infer(x: Matrix): Float32Array;
  /** The cost of outputs `out` against desired outputs y, summed over their samples. */
  protected abstract costSum(out: Float32Array, y: Float32Array): number;
  /** Σw² over the weights (not the biases), for the L2 term of the cost. */
  abstract weightSquares(): number;
  /** One step of mini-batch gradient descent on the columns of x and y. */
  abstract updateMiniBatch(x: Matrix, y: Matrix, eta: number, trace?: (line: string) => void): void;

  /** The input matrix for a batch of m (gatherBatch's layout), to fill before a step. */
  input(m: number): Matrix {
    return this.batch(m).x;
  }

  /** The desired-output matrix for a batch of m, to fill before a step. */
  target(m: number): Matrix {
    return this.batch(m).y;
  }

  /** False when a weight or bias is NaN or infinite (training diverged). */
  isFinite(): boolean {
    return allFinite(this.params, this.params.length);
  }

  /** How many samples of `data` it classifies right (argmax of the output). */
  evaluate(data: LabelledImages, batchSize = this.evalBatch): number {
    return this.countCorrect(data, 0, data.count, batchSize);
  }

  /** Thread t of T's part of evaluate(): samples part(count, t, T), `width` at a time through its own buffers. */
  evaluatePart(data: LabelledImages, t: number, T: number, width: number): number {
    const from = Math.floor((t * data.count) / T);
    const to = Math.floor(((t + 1) * data.count) / T);
    return this.countCorrect(data, from, to, width, true);
  }

  /**
   * How many of samples from … to − 1 of `data` it classifies right, batchSize
   * at a time. With `fixed`, a last, partial batch still goes through the
   * buffers for batchSize (its stale columns are never read), so a worker
   * thread needs no buffers beyond those it was given.
   */
  protected countCorrect(data: LabelledImages, from: number, to: number, batchSize: number, fixed = false): number {
    let correct = 0;
    for (let start = from; start < to; start += batchSize) {
      const m = Math.min(batchSize, to - start);
      const width = fixed ? batchSize : m;
      const b = this.batch(width);
      gatherBatch(b.x.data, null, 0, data, null, start, m);
      this.infer(b.x);
      argmaxCols(b.predictions, this.outputMatrix(width));
      for (let j = 0; j < m; j++) if (b.predictions[j] === data.labels[start + j]) correct++;
    }
    return correct;
  }

  /** The output layer of every sample of `data` (classes values each, one after the other): for ensembles. */
  outputs(data: LabelledImages, batchSize = this.evalBatch): Float32Array {
    const all = new Float32Array(data.count * this.classes);
    for (let start = 0; start < data.count; start += batchSize) {
      const m = Math.min(batchSize, data.count - start);
      const b = this.batch(m);
      gatherBatch(b.x.data, null, 0, data, null, start, m);
      all.set(this.infer(b.x).subarray(0, m * this.classes), start * this.classes); // column-major: sample by sample
    }
    return all;
  }

  /** The cost C averaged over the samples of `data`. */
  totalCost(data: LabelledImages, batchSize = this.evalBatch): number {
    let sum = 0;
    for (let start = 0; start < data.count; start += batchSize) {
      const m = Math.min(batchSize, data.count - start);
      const b = this.batch(m);
      gatherBatch(b.x.data, b.y.data, this.classes, data, null, start, m);
      sum += this.costSum(this.infer(b.x), b.y.data);
    }
    return sum / data.count;
  }

  /** Predicts one image of inputSize values in [0, 1]: the digit and the output layer (a copy). */
  predict(pixels: ArrayLike<number>): { digit: number; output: Float32Array } {
    if (pixels.length !== this.inputSize) {
      throw new RangeError(`predict: the network takes ${this.inputSize} inputs, got ${pixels.length}`);
    }
    const x = this.batch(1).x;
    for (let i = 0; i < pixels.length; i++) x.data[i] = pixels[i]; // one column: either order
    const out = this.infer(x);
    let digit = 0;
    for (let i = 1; i < this.classes; i++) if (out[i] > out[digit]) digit = i;
    return { digit, output: out.slice(0, this.classes) };
  }

  /** The last infer()'s output for m samples as a classes × m matrix (a view, made once per m). */
  protected abstract outputMatrix(m: number): Matrix;
}
