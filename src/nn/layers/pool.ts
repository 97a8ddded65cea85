// nn/layers/pool.ts: 2×2 max-pooling with stride 2 (network3.py's
// poolsize=(2, 2)). Forward remembers which of the four values won; backward
// sends each error to that value, and nothing to the other three.

import { maxPool2Backward, maxPool2Forward } from '../../tensor/conv-ops.js';
import { shapeText, type Shape } from '../layer-spec.js';
import type { Backend } from '../../backend.js';
import { Buffers, size, type Cols, type Layer } from './layer.js';

/** 2×2 max-pooling, stride 2. */
export class Pool implements Layer {
  readonly describe = 'pool 2';
  readonly output: Shape;
  readonly groups = [];
  readonly paramCount = 0;
  readonly stateGroups = [];
  name = 'pool';
  probe = null;
  readonly buf: Buffers;
  private readonly whereViews = new Map<Float32Array, Int32Array>();

  constructor(readonly input: Shape, backend: Backend) {
    this.output = { c: input.c, h: input.h / 2, w: input.w / 2 };
    this.buf = new Buffers(backend);
  }

  bind(): void {}
  init(): void {}

  traceForward(): string {
    return `${this.name}  max over 2×2 windows (${shapeText(this.input)}) → (${shapeText(this.output)})`;
  }

  traceBackward(): string {
    return `${this.name}  each δ (${shapeText(this.output)}) goes to its window's maximum → (${shapeText(this.input)})`;
  }

  forward(x: Float32Array, b: Cols): Float32Array {
    const y = this.buf.get(b, 'y', size(this.output));
    maxPool2Forward(y, this.where(b), x, b.m, this.input.c, this.input.h, this.input.w);
    return y;
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, _grads: boolean, needDx: boolean): Float32Array | null {
    if (!needDx) return null;
    const dx = this.buf.get(b, 'dx', size(this.input));
    maxPool2Backward(dx, dy, this.where(b), dy.length, dx.length);
    return dx;
  }

  /** Where each window's maximum was (its index into x): integers, in the backend's memory beside the rest. */
  private where(b: Cols): Int32Array {
    const f = this.buf.get(b, 'where', size(this.output));
    let v = this.whereViews.get(f);
    if (!v) this.whereViews.set(f, (v = new Int32Array(f.buffer, f.byteOffset, f.length)));
    return v;
  }
}

