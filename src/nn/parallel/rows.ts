// nn/parallel/rows.ts: a step of a fully-connected stack (dense and dropout
// layers: every --sizes network) in chunks, on threads sharing one stack's arrays.
//   columns  chunk c gathers, feeds forward and backpropagates (BP1, BP2) its
//            share of the samples; each layer's δ for those samples lands in
//            its part of the batch's δ array;
//   rows     chunk c computes BP3 and BP4 for its share of each layer's rows
//            (neurons), summed over all m samples by the products, and steps
//            those rows of w and b.
// No value is ever summed across chunks, so the weights come out the same,
// bit for bit, for any thread or chunk count (and as LayerStack.updateMiniBatch's).

import { gatherBatch, type LabelledImages } from '../../data/dataset.js';
import type { Augmenter } from '../../data/augment.js';
import { Matrix } from '../../tensor/matrix.js';
import { argmaxCols } from '../../tensor/ops.js';
import type { Rng } from '../../rng.js';
import { Dense, Dropout, part, size, type Cols } from '../layers/index.js';
import { denseGradients } from '../layers/dense.js';
import type { RangeViews } from '../optimizers/index.js';
import type { LayerStack } from '../stack.js';
import { evalWidthOf, type Split } from './split.js';
import { cutAt } from './balance.js';
import { CUT_ONE } from './control.js';

// Chunks cut the samples at even counts and the rows at multiples of four: the
// gemms work on blocks of 2 samples (W·a) and of 4 rows (δ·aᵀ), and a chunk
// with a part-block left over runs it on a slower path.
const SAMPLE_QUANTUM = 2;
const ROW_QUANTUM = 4;

/** Chunk c's rows of one dense layer: views made once. */
interface RowShare {
  readonly layer: Dense;
  readonly delta: Matrix; // its rows of δ, all m samples
  readonly nablaW: Matrix; // the same rows of ∇w, ∇b
  readonly nablaB: Matrix;
  readonly w: RangeViews; // the same rows of w and b, as the optimizer steps them
  readonly b: RangeViews;
  /** Which of the stack's ranges its weights are (for the dropout scale). */
  readonly range: number;
  readonly empty: boolean;
}

export class RowSplit implements Split {
  readonly evalWidth: number;
  private readonly shares = new Map<number, RowShare[]>();
  private predictions: Uint8Array | null = null;
  augment: Augmenter | null = null;

  constructor(readonly net: LayerStack, readonly chunks: { columns: number; rows: number }) {
    if (!net.fullyConnected) throw new Error('RowSplit: only a stack of dense and dropout layers splits by rows');
    this.evalWidth = evalWidthOf(net);
  }

  /** Alone, thread 0 takes the whole batch and every row at once: the same values, with no chunk's overhead. */
  readonly soloChunks = { columns: 1, rows: 1 };
  /** Any cut gives the same values: no sum crosses a chunk. */
  readonly balanced = true;

  /**
   * Chunks per phase for T threads: one each. Finer chunks would balance
   * better but cut the products into narrower ones, which costs more (2, 4
   * and 8 chunks per thread were each slower on two threads, 784-100-10).
   */
  static chunksFor(T: number): { columns: number; rows: number } {
    return { columns: T, rows: T };
  }

  drawMasks(m: number, rng: Rng): void {
    for (const l of this.net.layers) if (l instanceof Dropout && l.p > 0) l.drawMasks(this.net.whole(m), rng); // every thread reads its samples' part
  }

  columns(m: number, c: number, C: number, set: LabelledImages, order: Uint32Array, start: number, epoch: number | null, cuts: ArrayLike<number>): void {
    const net = this.net;
    const b = net.span(m, cutAt(m, cuts[c], SAMPLE_QUANTUM), cutAt(m, cuts[c + 1], SAMPLE_QUANTUM));
    if (b.m === 0) return;
    const x = net.own.get(b, 'x', net.inputSize);
    const y = net.own.get(b, 'y', net.classes);
    gatherBatch(x, y, net.classes, set, order, start + b.j0, b.m);
    if (epoch !== null) this.augment?.apply(x, set, order, start + b.j0, b.m, epoch);
    net.back(net.run(x, b, true, null), y, b, false); // BP1, BP2 for its samples; BP3, BP4 wait for the rows phase
  }

  rows(m: number, c: number, C: number, eta: number, cuts: ArrayLike<number>): void {
    const net = this.net;
    const b = net.whole(m);
    const opt = net.optimizer;
    const [lo, hi] = [cuts[c], cuts[c + 1]];
    const key = (m * (CUT_ONE + 1) + lo) * (CUT_ONE + 1) + hi;
    let list = this.shares.get(key);
    if (!list) this.shares.set(key, (list = this.rowShares(b, lo, hi)));
    let x = net.own.get(b, 'x', net.inputSize); // what each dense layer saw: the input, the layer below's activations, or those after dropout
    let k = 0;
    for (const l of net.layers) {
      if (l instanceof Dense) {
        const r = list[k++];
        if (!r.empty) {
          denseGradients(r.nablaB, r.nablaW, r.delta, l.buf.matrix(size(l.input), b.full, x, 'col')); // BP3, BP4 for its rows
          r.w.scale = net.rangeScale(r.range);
          opt.step(r.w, eta, b.full);
          opt.step(r.b, eta, b.full);
        }
        x = l.buf.get(b, 'a', l.units);
      } else if (l instanceof Dropout && l.p > 0) {
        x = l.buf.get(b, 'y', size(l.input));
      }
    }
  }

  /** Rows cutAt(units, lo) … cutAt(units, hi) of every dense layer. */
  private rowShares(b: Cols, lo: number, hi: number): RowShare[] {
    const net = this.net;
    const list: RowShare[] = [];
    let range = 0;
    for (const l of net.layers) {
      if (!(l instanceof Dense)) {
        range += l.groups.length;
        continue;
      }
      const n = size(l.input);
      const [i0, i1] = [cutAt(l.units, lo, ROW_QUANTUM), cutAt(l.units, hi, ROW_QUANTUM)];
      const k = Math.max(i1 - i0, 1); // an empty share keeps 1×… views (of the last row) it never uses
      const v0 = Math.min(i0, l.units - 1);
      const delta = l.buf.get(b, 'delta', l.units);
      const [rw, rb] = [net.ranges[range], net.ranges[range + 1]];
      list.push({
        layer: l,
        delta: Matrix.view(delta.subarray(v0), k, b.full, 1, l.units),
        nablaW: new Matrix(k, n, l.gw.data.subarray(v0 * n, (v0 + k) * n)),
        nablaB: new Matrix(k, 1, l.gb.data.subarray(v0, v0 + k)),
        w: net.optimizer.views(net.params, net.grads, { ...rw, from: rw.from + i0 * n, to: rw.from + i1 * n }),
        b: net.optimizer.views(net.params, net.grads, { ...rb, from: rb.from + i0, to: rb.from + i1 }),
        range,
        empty: i1 === i0,
      });
      range += 2;
    }
    return list;
  }

  /** Samples part(count, c, C), evalWidth at a time through its own samples of the buffers for C·evalWidth. */
  evaluatePart(data: LabelledImages, c: number, C: number): number {
    const net = this.net;
    const width = this.evalWidth;
    const b = net.share(C * width, c, C);
    const x = net.own.get(b, 'x', net.inputSize);
    const [from, to] = part(data.count, c, C);
    if (this.predictions?.length !== width) this.predictions = new Uint8Array(width);
    let correct = 0;
    for (let start = from; start < to; start += width) {
      const m = Math.min(width, to - start); // a last, partial chunk leaves stale columns, never read
      gatherBatch(x, null, 0, data, null, start, m);
      const out = net.run(x, b, false, null);
      argmaxCols(this.predictions, net.own.matrix(net.classes, width, out, 'col'));
      for (let j = 0; j < m; j++) if (this.predictions[j] === data.labels[start + j]) correct++;
    }
    return correct;
  }

  /** Thread 0: makes every array the threads will use (for each batch size in ms, and evaluation in T chunks), so workers can adopt them. */
  warm(ms: number[], T: number, evalWidth: number): void {
    const net = this.net;
    for (const m of ms) {
      const b = net.whole(m);
      net.back(net.run(net.own.get(b, 'x', net.inputSize), b, true, null), net.own.get(b, 'y', net.classes), b, false);
    }
    if (evalWidth) net.run(net.own.get(net.whole(T * evalWidth), 'x', net.inputSize), net.whole(T * evalWidth), false, null);
  }
}
