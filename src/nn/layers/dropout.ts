// nn/layers/dropout.ts: inverted dropout (the book's chapter 3), the layer and
// its three loops; the fully-connected Network's --dropout is this layer after
// each hidden layer.
// While training, each value is kept with probability 1 − p and scaled by
// 1/(1 − p), so the expected activation is unchanged and evaluation, which
// drops nothing, needs no rescaling. `keep` remembers each value's factor
// (1/(1 − p) or 0) for the backward pass.

import type { Rng } from '../../rng.js';
import { shapeText, type Shape } from '../layer-spec.js';
import type { Backend } from '../../backend.js';
import { Buffers, size, sup, type Cols, type Layer } from './layer.js';

/** Draws n factors in order from rng: 1/(1 − p) for a kept value, 0 for a dropped one. */
export function drawMask(keep: Float32Array, n: number, p: number, rng: Rng): void {
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) keep[i] = rng.uniform() >= p ? scale : 0;
}

/** out = a ⊙ mask / (1 − p) for n values: the mask drawn from rng in order into keep, or (rng null) the one already there. */
export function dropForward(out: Float32Array, keep: Float32Array, a: Float32Array, n: number, p: number, rng: Rng | null): void {
  if (rng) drawMask(keep, n, p, rng);
  for (let i = 0; i < n; i++) out[i] = a[i] * keep[i];
}

/** The error through the same mask: a dropped value passed nothing on, so it gets no error. */
export function dropBackward(out: Float32Array, keep: Float32Array, d: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = d[i] * keep[i];
}

/**
 * How much a weight's gradient counts in its step when the layer's input went
 * through dropout p: (1 − p)². The book (chapter 3, network3.py) drops units
 * without rescaling and multiplies the weights by 1 − p at evaluation; here
 * dropout is inverted (kept units × 1/(1 − p) while training, nothing at
 * evaluation), so our w is the book's w′ times (1 − p). Its gradient is
 * (1 − p) times larger than the book's, and a step of the same η moves w′ by
 * (1 − p)⁻² times the book's step. Scaling the gradient term by (1 − p)² (not
 * the L2 decay, which is a factor either way) makes every step the book's:
 * the same η, λ and μ train exactly as network3.py does.
 */
export function dropoutGradientScale(dropIn: { p: number } | null | undefined): number {
  return dropIn && dropIn.p > 0 ? (1 - dropIn.p) * (1 - dropIn.p) : 1;
}

/** For the update's trace line: which weights step as after the book's dropout (a dense or conv layer right above a dropout layer). */
export function droppedText(layers: readonly Layer[]): string {
  const names = layers
    .filter((l, i) => l.groups[0]?.decay && layers[i - 1] instanceof Dropout && (layers[i - 1] as Dropout).p > 0)
    .map((l) => ('book' in l && typeof l.book === 'number' && l.book ? `W${sup(l.book)}` : `${l.name}'s W`));
  return names.length ? `; after dropout, ${names.join(', ')} step${names.length === 1 ? 's' : ''} with (1 − p)²·∇w (the book's dropout)` : '';
}

/** Inverted dropout: while training, each value is dropped with probability p, the others scaled by 1/(1 − p). */
export class Dropout implements Layer {
  readonly output: Shape;
  readonly groups = [];
  readonly paramCount = 0;
  readonly stateGroups = [];
  name = 'dropout';
  probe = null;
  /** In a fully-connected stack: the book's number of the layer whose activations it drops. */
  book = 0;
  readonly buf: Buffers;

  /** p may change between runs (the fully-connected network's --dropout); 0 passes everything through. */
  constructor(readonly input: Shape, public p: number, backend: Backend) {
    this.output = input;
    this.buf = new Buffers(backend);
  }

  get describe(): string {
    return `dropout ${this.p}`;
  }

  bind(): void {}
  init(): void {}

  traceForward(m: number, train: boolean): string {
    if (!train || (this.book && this.p === 0)) return '';
    if (this.book) return `dropout  a${sup(this.book)} ⊙ mask / (1 − p), p = ${this.p} → (${size(this.input)}×${m})`;
    return `${this.name}  a ⊙ mask / (1 − p), p = ${this.p} (training only) → (${shapeText(this.output)})`;
  }

  traceBackward(m: number): string {
    if (this.book) return this.p === 0 ? '' : `dropout  (W${sup(this.book + 1)}ᵀδ${sup(this.book + 1)}) ⊙ mask / (1 − p): a dropped unit gets no error → (${size(this.input)}×${m})`;
    return `${this.name}  δ ⊙ mask / (1 − p) → (${shapeText(this.input)})`;
  }

  /** While training, with rng: draws the masks for the samples b; without: uses those drawn beforehand (threads: drawMasks). */
  forward(x: Float32Array, b: Cols, train: boolean, rng: Rng | null): Float32Array {
    if (!train || this.p === 0) return x;
    const per = size(this.input);
    const y = this.buf.get(b, 'y', per);
    dropForward(y, this.buf.get(b, 'keep', per), x, x.length, this.p, rng);
    return y;
  }

  /** The masks of the samples b, drawn in order from rng (what forward with rng would draw), for a later forward without it. */
  drawMasks(b: Cols, rng: Rng): void {
    if (this.p === 0) return;
    const per = size(this.input);
    drawMask(this.buf.get(b, 'keep', per), per * b.m, this.p, rng);
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, _grads: boolean, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    if (this.p === 0) return dy;
    // a dropped unit passed nothing on, so it gets no error; a kept one was scaled by 1/(1 − p)
    const per = size(this.input);
    const dx = this.buf.get(b, 'dx', per);
    dropBackward(dx, this.buf.get(b, 'keep', per), dy, dy.length);
    return dx;
  }
}

