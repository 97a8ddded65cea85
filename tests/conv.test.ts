// The convolution building blocks against direct nested loops: im2col + gemm
// is a convolution, col2im is its adjoint (and gives the input gradient),
// max-pooling forward and backward (ties included); and the layer language.

import { describe, expect, it } from 'vitest';
import { col2im, im2col, maxPool2Backward, maxPool2Forward } from '../src/kernels/conv.js';
import { gemmNN } from '../src/kernels/gemm.js';
import { LayerSpecError, parseLayers, shapeText } from '../src/nn/layer-spec.js';
import { Rng } from '../src/rng.js';
import { expectAllClose, randomArray } from './reference.js';

/** The direct definition: y[s][f][oy][ox] = Σ_c,dy,dx w[f][c][dy][dx] · x[s][c][oy+dy][ox+dx]. */
function directConv(x: Float32Array, w: Float32Array, m: number, C: number, H: number, W: number, F: number, k: number): Float64Array {
  const OH = H - k + 1;
  const OW = W - k + 1;
  const y = new Float64Array(m * F * OH * OW);
  for (let s = 0; s < m; s++) for (let f = 0; f < F; f++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
    let sum = 0;
    for (let c = 0; c < C; c++) for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) {
      sum += w[((f * C + c) * k + dy) * k + dx] * x[((s * C + c) * H + oy + dy) * W + ox + dx];
    }
    y[((s * F + f) * OH + oy) * OW + ox] = sum;
  }
  return y;
}

// (m, C, H, W, F, k): one channel and several, odd sizes, k = 1, k = the whole map
const CASES: [number, number, number, number, number, number][] = [
  [1, 1, 5, 5, 1, 3], [2, 1, 7, 6, 3, 3], [3, 2, 6, 5, 4, 2], [1, 3, 4, 4, 2, 4], [2, 2, 5, 7, 2, 1], [2, 1, 28, 28, 4, 5],
];

describe('im2col + gemm is a convolution', () => {
  for (const [m, C, H, W, F, k] of CASES) {
    it(`${m} samples of ${C}×${H}×${W}, ${F} maps of ${k}×${k}`, () => {
      const rng = new Rng(m * 100 + C * 10 + H + W + F + k);
      const x = randomArray(rng, m * C * H * W);
      const w = randomArray(rng, F * C * k * k);
      const OH = H - k + 1;
      const OW = W - k + 1;
      const n = m * OH * OW;
      const cols = new Float32Array(C * k * k * n);
      im2col(cols, x, m, C, H, W, k);
      const z = new Float32Array(F * n); // F × (m·OH·OW), row-major: map f, then sample s's positions
      gemmNN(z, w, cols, F, C * k * k, n);
      const ref = directConv(x, w, m, C, H, W, F, k);
      const got = new Float64Array(m * F * OH * OW);
      for (let f = 0; f < F; f++) for (let s = 0; s < m; s++) for (let p = 0; p < OH * OW; p++) {
        got[(s * F + f) * OH * OW + p] = z[f * n + s * OH * OW + p];
      }
      expectAllClose(got, ref, 1e-5, 1e-4, 'conv');
    });
  }
});

describe('col2im', () => {
  it('is the adjoint of im2col: ⟨im2col(x), g⟩ = ⟨x, col2im(g)⟩', () => {
    for (const [m, C, H, W, , k] of CASES) {
      const rng = new Rng(H * W + k);
      const x = randomArray(rng, m * C * H * W);
      const n = m * (H - k + 1) * (W - k + 1);
      const g = randomArray(rng, C * k * k * n);
      const cols = new Float32Array(C * k * k * n);
      im2col(cols, x, m, C, H, W, k);
      const back = new Float32Array(x.length);
      col2im(back, g, m, C, H, W, k);
      let left = 0;
      let right = 0;
      for (let i = 0; i < cols.length; i++) left += cols[i] * g[i];
      for (let i = 0; i < x.length; i++) right += x[i] * back[i];
      expect(Math.abs(left - right)).toBeLessThan(1e-3 * (1 + Math.abs(left)));
    }
  });

  it('gives the input gradient of a convolution (finite differences)', () => {
    const [m, C, H, W, F, k] = [2, 2, 5, 6, 3, 3];
    const rng = new Rng(5);
    const x = randomArray(rng, m * C * H * W);
    const w = randomArray(rng, F * C * k * k);
    const g = randomArray(rng, m * F * (H - k + 1) * (W - k + 1)); // ∂C/∂y, as directConv lays it out
    const n = m * (H - k + 1) * (W - k + 1);
    const P = (H - k + 1) * (W - k + 1);
    // C(x) = Σ g·conv(x): ∂C/∂x = col2im(wᵀ · g), with g in gemm layout
    const gz = new Float32Array(F * n);
    for (let f = 0; f < F; f++) for (let s = 0; s < m; s++) for (let p = 0; p < P; p++) gz[f * n + s * P + p] = g[(s * F + f) * P + p];
    const dcols = new Float32Array(C * k * k * n);
    for (let r = 0; r < C * k * k; r++) for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let f = 0; f < F; f++) sum += w[f * C * k * k + r] * gz[f * n + j];
      dcols[r * n + j] = sum;
    }
    const dx = new Float32Array(x.length);
    col2im(dx, dcols, m, C, H, W, k);
    const cost = (xx: Float32Array) => directConv(xx, w, m, C, H, W, F, k).reduce((s, v, i) => s + v * g[i], 0);
    for (let i = 0; i < x.length; i += 7) {
      const plus = x.slice();
      plus[i] += 1e-2;
      const minus = x.slice();
      minus[i] -= 1e-2;
      const numeric = (cost(plus) - cost(minus)) / (Math.fround(x[i] + 1e-2) - Math.fround(x[i] - 1e-2));
      expect(Math.abs(numeric - dx[i])).toBeLessThan(1e-3 * (1 + Math.abs(numeric)));
    }
  });
});

describe('2×2 max-pooling', () => {
  it('takes each window’s maximum, remembers where, and sends the gradient back only there', () => {
    // one sample, one 4×4 map
    const x = Float32Array.from([1, 5, 2, 2, 3, 4, 2, 2, 9, 0, -1, -3, 0, 0, -2, -1]);
    const y = new Float32Array(4);
    const where = new Int32Array(4);
    maxPool2Forward(y, where, x, 1, 1, 4, 4);
    expect(Array.from(y)).toEqual([5, 2, 9, -1]);
    expect(Array.from(where)).toEqual([1, 2, 8, 10]); // the 2-2-2-2 and −1…−1 windows tie: the first one wins
    const dx = new Float32Array(16);
    maxPool2Backward(dx, Float32Array.from([10, 20, 30, 40]), where, 4, 16);
    expect(Array.from(dx)).toEqual([0, 10, 20, 0, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0]);
  });

  it('matches a direct loop on random batches of several maps', () => {
    const [m, C, H, W] = [3, 2, 6, 8];
    const x = randomArray(new Rng(8), m * C * H * W);
    const y = new Float32Array(m * C * 3 * 4);
    const where = new Int32Array(y.length);
    maxPool2Forward(y, where, x, m, C, H, W);
    let o = 0;
    for (let sc = 0; sc < m * C; sc++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++, o++) {
      const b = sc * H * W + 2 * i * W + 2 * j;
      expect(y[o]).toBe(Math.max(x[b], x[b + 1], x[b + W], x[b + W + 1]));
      expect(x[where[o]]).toBe(y[o]);
    }
  });
});

describe('the layer language', () => {
  it('parses the book’s networks and works out every shape', () => {
    const { layers, shapes } = parseLayers('conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, dropout 0.5, softmax 10');
    expect(layers.map((l) => l.kind)).toEqual(['conv', 'pool', 'conv', 'pool', 'fc', 'dropout', 'softmax']);
    expect(layers[0]).toEqual({ kind: 'conv', maps: 20, size: 5, activation: 'relu' });
    expect(shapes.map(shapeText)).toEqual(['20×24×24', '20×12×12', '40×8×8', '40×4×4', '100', '100', '10']);
    expect(parseLayers('fc 30, sigmoid 10').layers[0]).toEqual({ kind: 'fc', units: 30, activation: 'sigmoid' });
    // batch norm between the weighted input and the nonlinearity: a linear layer, then bn with the activation
    const bn = parseLayers('conv 8 5x5 linear, bn relu, pool 2, fc 30 linear, bn, softmax 10');
    expect(bn.layers.slice(0, 2)).toEqual([{ kind: 'conv', maps: 8, size: 5, activation: 'linear' }, { kind: 'bn', activation: 'relu' }]);
    expect(bn.layers[4]).toEqual({ kind: 'bn', activation: 'linear' });
    expect(bn.shapes.map(shapeText)).toEqual(['8×24×24', '8×24×24', '8×12×12', '30', '30', '10']);
  });

  it('names the offending layer and token', () => {
    const cases: [string, string][] = [
      ['convv 20 5x5, softmax 10', "layer 1 'convv 20 5x5': unknown layer 'convv'"],
      ['conv 20 5x4, softmax 10', "layer 1 'conv 20 5x4': the kernel size must be square, like 5x5; got '5x4'"],
      ['conv x 5x5, softmax 10', "layer 1 'conv x 5x5': the number of feature maps must be a positive integer; got 'x'"],
      ['conv 20 5x5 swish, softmax 10', "unknown activation 'swish'"],
      ['conv 20 5x5, pool 3, softmax 10', "layer 2 'pool 3': only 2×2 max-pooling is supported"],
      ['conv 20 5x5, pool 2, pool 2, pool 2, pool 2, softmax 10', "layer 5 'pool 2': 2×2 pooling needs even map sizes; the maps are 3×3"],
      ['conv 20 30x30, softmax 10', 'a 30x30 kernel does not fit 28×28 maps'],
      ['fc 100, conv 20 5x5, softmax 10', "layer 2 'conv 20 5x5': a convolution cannot follow a fully-connected layer"],
      ['softmax 10, fc 30', "layer 1 'softmax 10': the softmax output layer must come last"],
      ['fc 100 relu', 'the last layer must be the output'],
      ['fc 100,, softmax 10', 'an empty layer'],
      ['fc 100 relu extra, softmax 10', "unexpected 'extra'"],
      ['dropout 1, softmax 10', 'the dropout probability must be from 0 up to 1'],
    ];
    for (const [text, message] of cases) {
      expect(() => parseLayers(text), text).toThrow(LayerSpecError);
      expect(() => parseLayers(text), text).toThrow(message);
    }
  });
});
