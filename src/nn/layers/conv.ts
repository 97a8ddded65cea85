// nn/layers/conv.ts: a convolutional layer (network3.py's ConvPoolLayer without
// the pooling, which is its own layer): F feature maps, k×k kernels over all
// input channels, stride 1, no padding. Forward is im2col + one gemm, so the
// WebAssembly kernels apply to it as to a dense layer; backward is
// ∇W = δ·patchesᵀ, ∇b = Σδ and ∂C/∂x = col2im(Wᵀδ).

import { addBiasMaps, col2im, im2col, mapsToRows } from '../../tensor/conv-ops.js';
import { Matrix } from '../../tensor/matrix.js';
import { matmul } from '../../tensor/ops.js';
import type { Activation } from '../activations.js';
import { shapeText, type Shape } from '../layer-spec.js';
import type { Rng } from '../../rng.js';
import type { Backend } from '../../backend.js';
import { Buffers, countOf, fName, initWeights, type Cols, type Layer, type LayerProbe, type ParamGroup } from './layer.js';
import { errorBelow } from './dense.js';

const TRANS_B = { transB: true } as const;

/** A convolutional layer: F feature maps, k×k kernels over all input channels, stride 1, valid. */
export class Conv implements Layer {
  readonly describe: string;
  readonly output: Shape;
  readonly groups: readonly ParamGroup[];
  readonly paramCount: number;
  readonly stateGroups = [];
  name = 'conv';
  probe: LayerProbe | null = null;
  w!: Matrix; // F × (C·k·k)
  b!: Float32Array; // F
  private gw!: Matrix;
  private gb!: Float32Array;
  readonly buf: Buffers;

  constructor(readonly input: Shape, readonly maps: number, readonly k: number, readonly f: Activation, backend: Backend) {
    this.output = { c: maps, h: input.h - k + 1, w: input.w - k + 1 };
    this.groups = [{ name: 'w', rows: maps, cols: input.c * k * k, decay: true }, { name: 'b', rows: maps, cols: 1, decay: false }];
    this.paramCount = countOf(this.groups);
    this.buf = new Buffers(backend);
    this.describe = `conv ${maps} ${k}x${k} ${f.name}`;
  }

  traceForward(): string {
    const { c, h, w } = this.input;
    const P = this.output.h * this.output.w;
    return `${this.name}  W (${this.maps}×${c}×${this.k}×${this.k}) ∗ x (${c}×${h}×${w}) + b (${this.maps}), ${fName(this.f)} → (${shapeText(this.output)})` +
      `  [im2col: W (${this.maps}×${c * this.k * this.k}) · patches (${c * this.k * this.k}×${P}·m)]`;
  }

  traceBackward(_m: number, needDx: boolean): string {
    const { c } = this.input;
    const down = needDx ? `; ∂C/∂x = col2im(Wᵀδ) → (${shapeText(this.input)})` : ' (the image needs no error)';
    return `${this.name}  δ = ∂C/∂a ⊙ ${fName(this.f)}′(z) (${shapeText(this.output)}); ∇b (${this.maps}); ∇W = δ · patchesᵀ (${this.maps}×${c}×${this.k}×${this.k})${down}`;
  }

  bind(params: Float32Array, grads: Float32Array): void {
    const n = this.input.c * this.k * this.k;
    this.w = new Matrix(this.maps, n, params.subarray(0, this.maps * n));
    this.b = params.subarray(this.maps * n, this.paramCount);
    this.gw = new Matrix(this.maps, n, grads.subarray(0, this.maps * n));
    this.gb = grads.subarray(this.maps * n, this.paramCount);
  }

  init(rng: Rng): void {
    initWeights(this.w.data, this.b, this.w.cols, rng);
  }

  /** Its patches and gemm output are laid out by position, not sample by sample, so it works on whole batches only. */
  private whole(b: Cols): number {
    if (b.m !== b.full) throw new Error(`${this.name}: a convolution runs on whole mini-batches (threads give each replica its own)`);
    return b.m;
  }

  forward(x: Float32Array, b: Cols): Float32Array {
    const m = this.whole(b);
    const { c: C, h: H, w: W } = this.input;
    const P = this.output.h * this.output.w;
    const rows = C * this.k * this.k;
    const cols = this.buf.get(b, 'cols', rows * P);
    im2col(cols, x, m, C, H, W, this.k);
    const z = this.buf.get(b, 'z', this.maps * P); // F × (m·P)
    matmul(this.buf.matrix(this.maps, m * P, z), this.w, this.buf.matrix(rows, m * P, cols));
    const a = this.buf.get(b, 'a', this.maps * P); // sample by sample: F maps each
    addBiasMaps(a, z, this.b, this.maps, m, P);
    this.probe?.('z', a);
    this.f.forward(a, a, a.length);
    return a;
  }

  backward(_x: Float32Array, dy: Float32Array, b: Cols, grads: boolean, needDx: boolean): Float32Array | null {
    const m = this.whole(b);
    const { c: C, h: H, w: W } = this.input;
    const P = this.output.h * this.output.w;
    const rows = C * this.k * this.k;
    const a = this.buf.get(b, 'a', this.maps * P);
    const delta = this.buf.get(b, 'delta', this.maps * P);
    delta.set(dy);
    this.f.backward(delta, a, delta.length); // δ = ∂C/∂a ⊙ f′(z)
    this.probe?.('delta', delta);
    // back to the gemm's layout, F × (m·P); ∇b sums each map's δ
    const dz = this.buf.get(b, 'dz', this.maps * P);
    mapsToRows(dz, delta, grads ? this.gb : null, this.maps, m, P);
    const dZ = this.buf.matrix(this.maps, m * P, dz);
    if (grads) matmul(this.gw, dZ, this.buf.matrix(rows, m * P, this.buf.get(b, 'cols', rows * P)), TRANS_B); // ∇w = δ·colsᵀ
    if (!needDx) return null;
    const dcols = this.buf.get(b, 'dcols', rows * P);
    errorBelow(this.buf.matrix(rows, m * P, dcols), this.w, dZ); // wᵀδ, per patch: a dense layer's, over patches
    const dx = this.buf.get(b, 'dx', C * H * W);
    col2im(dx, dcols, m, C, H, W, this.k);
    return dx;
  }
}

