// The WebAssembly loops beside the gemm (kernels/assembly/conv.ts, run by
// tensor/conv-ops.ts on arrays in WebAssembly memory) against their TypeScript
// twins (kernels/conv.ts), bit for bit: im2col, col2im, pooling forward and
// backward, and the layout changes around the gemm, on shapes whose rows are
// and are not multiples of four, with zeros, ties, −0 and NaN in the data;
// ReLU and the sigmoid (kernels/assembly/activations.ts, with fdlibm's eˣ
// against Math.exp), and a dense layer's bias loops (kernels/assembly/bias.ts,
// run by tensor/ops.ts) against theirs.

import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type Backend } from '../src/backend.js';
import * as ts from '../src/kernels/conv.js';
import * as ops from '../src/tensor/conv-ops.js';
import { Rng } from '../src/rng.js';

let wasm: Backend;
beforeAll(async () => {
  wasm = await selectBackend('wasm');
  await selectBackend('ts');
});

/** Values with what breaks a careless kernel: zeros, −0, ties (repeats), a NaN. */
function awkward(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    a[i] = r < 0.3 ? 0 : r < 0.35 ? -0 : r < 0.45 ? 0.5 : rng.gaussian();
  }
  if (n > 7) a[7] = NaN;
  return a;
}

/** A copy in WebAssembly memory. */
function inWasm(a: Float32Array): Float32Array {
  const w = wasm.alloc(a.length);
  w.set(a);
  return w;
}

function bits(a: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

// (m, C, H, W, k): the book's two convolutions and odd widths (runs of 1–7 floats)
const SHAPES: [number, number, number, number, number][] = [
  [3, 1, 28, 28, 5], [2, 20, 12, 12, 5], [2, 2, 9, 7, 3], [1, 3, 6, 10, 2], [2, 1, 5, 5, 5],
];

describe('the WebAssembly convolution loops equal their TypeScript twins, bit for bit', () => {
  for (const [m, C, H, W, k] of SHAPES) {
    const rows = C * k * k;
    const n = m * (H - k + 1) * (W - k + 1);
    it(`im2col and col2im on ${m}×${C}×${H}×${W}, k ${k}`, () => {
      const rng = new Rng(m + C + H + W + k);
      const x = awkward(rng, m * C * H * W);
      const want = new Float32Array(rows * n);
      ts.im2col(want, x, m, C, H, W, k);
      const got = wasm.alloc(rows * n);
      ops.im2col(got, inWasm(x), m, C, H, W, k);
      expect(bits(got)).toEqual(bits(want));

      const g = awkward(rng, rows * n);
      const dxWant = new Float32Array(m * C * H * W).fill(3); // both must clear what was there
      ts.col2im(dxWant, g, m, C, H, W, k);
      const dxGot = inWasm(new Float32Array(m * C * H * W).fill(3));
      ops.col2im(dxGot, inWasm(g), m, C, H, W, k);
      expect(bits(dxGot)).toEqual(bits(dxWant));
    });
  }

  for (const [m, C, H, W] of [[3, 20, 24, 24], [2, 40, 8, 8], [2, 3, 6, 10], [1, 2, 2, 14]] as const) {
    it(`2×2 max-pooling forward and backward on ${m}×${C}×${H}×${W}`, () => {
      const rng = new Rng(H * W + C);
      const x = awkward(rng, m * C * H * W);
      const count = (m * C * H * W) / 4;
      const yWant = new Float32Array(count);
      const whereWant = new Int32Array(count);
      ts.maxPool2Forward(yWant, whereWant, x, m, C, H, W);
      const yGot = wasm.alloc(count);
      const wf = wasm.alloc(count);
      const whereGot = new Int32Array(wf.buffer, wf.byteOffset, count);
      ops.maxPool2Forward(yGot, whereGot, inWasm(x), m, C, H, W);
      expect(bits(yGot)).toEqual(bits(yWant));
      expect(Array.from(whereGot)).toEqual(Array.from(whereWant));

      const dy = awkward(rng, count);
      const dxWant = new Float32Array(m * C * H * W).fill(2);
      ts.maxPool2Backward(dxWant, dy, whereWant, count, dxWant.length);
      const dxGot = inWasm(new Float32Array(m * C * H * W).fill(2));
      ops.maxPool2Backward(dxGot, inWasm(dy), whereGot, count, dxGot.length);
      expect(bits(dxGot)).toEqual(bits(dxWant));
    });
  }

  for (const [F, m, P] of [[20, 10, 576], [40, 3, 64], [3, 2, 7]] as const) {
    it(`the bias and the layout on either side of the gemm: ${F} maps of ${P}, ${m} samples`, () => {
      const rng = new Rng(F * P + m);
      const z = awkward(rng, F * m * P);
      const b = awkward(rng, F);
      const aWant = new Float32Array(F * m * P);
      ts.addBiasMaps(aWant, z, b, F, m, P);
      const aGot = wasm.alloc(F * m * P);
      ops.addBiasMaps(aGot, inWasm(z), inWasm(b), F, m, P);
      expect(bits(aGot)).toEqual(bits(aWant));

      const delta = awkward(rng, F * m * P).map((v) => (Number.isNaN(v) ? 1e-3 : v)); // a NaN would make every sum NaN
      const dzWant = new Float32Array(F * m * P);
      const gbWant = new Float32Array(F);
      ts.mapsToRows(dzWant, delta, gbWant, F, m, P);
      const dzGot = wasm.alloc(F * m * P);
      const gbGot = wasm.alloc(F);
      ops.mapsToRows(dzGot, inWasm(delta), gbGot, F, m, P);
      expect(bits(dzGot)).toEqual(bits(dzWant));
      expect(bits(gbGot)).toEqual(bits(gbWant));
      expect(gbWant.some((v) => v !== 0)).toBe(true);
      // without a bias gradient: the layout alone, gb untouched
      const untouched = inWasm(new Float32Array(F).fill(7));
      ops.mapsToRows(wasm.alloc(F * m * P), inWasm(delta), null, F, m, P);
      expect(Array.from(untouched)).toEqual(new Array(F).fill(7));
    });
  }
});

describe('the convolution ops check lengths before any loop runs', () => {
  it('throws a RangeError naming the op and the array that is too short', () => {
    const x = wasm.alloc(2 * 28 * 28);
    expect(() => ops.im2col(wasm.alloc(25 * 576), x, 2, 1, 28, 28, 5)).toThrow('im2col: cols has 14400 entries; the shapes need 28800');
    expect(() => ops.col2im(wasm.alloc(10), wasm.alloc(25 * 576), 1, 1, 28, 28, 5)).toThrow('col2im: dx has 10 entries');
    expect(() => ops.maxPool2Forward(wasm.alloc(4), new Int32Array(4), wasm.alloc(16), 1, 1, 4, 5)).toThrow('do not split into 2×2 windows');
    expect(() => ops.maxPool2Backward(wasm.alloc(16), wasm.alloc(4), new Int32Array(3), 4, 16)).toThrow('maxPool2Backward: where has 3 entries');
    expect(() => ops.addBiasMaps(wasm.alloc(10), wasm.alloc(12), wasm.alloc(2), 2, 2, 3)).toThrow('addBiasMaps: a has 10 entries; the shapes need 12');
    expect(() => ops.mapsToRows(wasm.alloc(12), wasm.alloc(12), wasm.alloc(1), 2, 2, 3)).toThrow('mapsToRows: gb has 1 entries');
  });
});

describe('ReLU in WebAssembly equals its TypeScript twin, bit for bit', () => {
  it('forward (in place and not) and backward, on runs that are and are not multiples of four', async () => {
    const { relu, reluTs } = await import('../src/nn/activations.js');
    for (const n of [1, 7, 64, 11_523]) {
      const rng = new Rng(n);
      const z = awkward(rng, n);
      const want = new Float32Array(n);
      reluTs.forward(want, z, n);
      const got = wasm.alloc(n);
      relu.forward(got, inWasm(z), n);
      expect(bits(got)).toEqual(bits(want));
      const inPlace = inWasm(z);
      relu.forward(inPlace, inPlace, n);
      expect(bits(inPlace)).toEqual(bits(want));

      const a = awkward(rng, n); // NaN, −0 and 0 among the outputs
      const dWant = awkward(rng, n);
      const dGot = inWasm(dWant);
      reluTs.backward(dWant, a, n);
      relu.backward(dGot, inWasm(a), n);
      expect(bits(dGot)).toEqual(bits(dWant));
    }
    expect(() => relu.forward(wasm.alloc(4), wasm.alloc(8), 8)).toThrow('relu: 8 entries asked of arrays of 4 and 8');
  });
});

describe('the sigmoid in WebAssembly equals its TypeScript twin, bit for bit', () => {
  // fdlibm's eˣ, written out in assembly/activations.ts, against V8's Math.exp: the
  // branches' edges, the special values, and doubles across the whole range
  const EDGES = [
    0, -0, 1, -1, 2, -2, NaN, Infinity, -Infinity, 2 ** -28, -(2 ** -28), 2 ** -29, 0.34657359, -0.34657359, 0.3465736, 1.0397, -1.0397,
    1.03972, 709.78, 709.79, 709.782712893384, -708.39, -708.4, -709, -720, -745.13, -745.14, -745.1332191019412, 1e-300, -1e-300, 5e-324,
  ];

  it('exp: fdlibm as V8 has it (e¹ is Math.E)', async () => {
    const { wasmKernels } = await import('../src/backend.js');
    const k = wasmKernels()!;
    const rng = new Rng(2);
    const xs = [...EDGES, ...Array.from({ length: 200_000 }, (_, i) => (rng.uniform() - 0.5) * (i % 2 ? 60 : 1500))];
    const differ = xs.filter((x) => !Object.is(k.exp(x), Math.exp(x)));
    expect(differ).toEqual([]);
  });

  it('forward and backward over every kind of float: random bit patterns, the edges, runs not a multiple of four', async () => {
    const { sigmoid, sigmoidTs } = await import('../src/nn/activations.js');
    const rng = new Rng(3);
    const n = 200_003;
    const z = wasm.alloc(n);
    const bitsOf = new Uint32Array(z.buffer, z.byteOffset, n);
    for (let i = 0; i < n; i++) bitsOf[i] = Math.floor(rng.uniform() * 2 ** 32);
    for (let i = 0; i < n; i += 3) z[i] = (rng.uniform() - 0.5) * 40; // where the sigmoid is neither 0 nor 1
    EDGES.forEach((v, i) => {
      z[i] = v;
      z[1000 + i] = -v;
    });
    const want = new Float32Array(n);
    sigmoidTs.forward(want, z, n);
    const got = wasm.alloc(n);
    sigmoid.forward(got, z, n);
    expect(bits(got)).toEqual(bits(want));

    const delta = awkward(rng, n).map((v) => (Number.isNaN(v) ? 0.25 : v));
    const dWant = delta.slice();
    sigmoidTs.backward(dWant, want, n);
    const dGot = inWasm(delta);
    sigmoid.backward(dGot, inWasm(want), n);
    expect(bits(dGot)).toEqual(bits(dWant));
  });
});

describe("the dense layer's bias loops in WebAssembly equal their TypeScript twins, bit for bit", () => {
  // z += b in every column and BP3's Σ of δ's columns (assembly/bias.ts, run by tensor/ops.ts
  // where rows are contiguous), on row counts that are and are not multiples of 4 and 16,
  // with padded columns (a column stride past the rows), −0, zeros and a NaN among the values
  const CASES: [number, number, number][] = [[30, 10, 30], [100, 100, 100], [10, 7, 10], [3, 5, 8], [17, 4, 20], [64, 1, 64]];
  for (const [rows, cols, cs] of CASES) {
    it(`${rows}×${cols}, columns ${cs} floats apart`, async () => {
      const { addColumnInPlace, sumColumns } = await import('../src/kernels/elementwise.js');
      const { Matrix } = await import('../src/tensor/matrix.js');
      const { addColumn, sumCols } = await import('../src/tensor/ops.js');
      const rng = new Rng(rows * 31 + cols);
      const n = (cols - 1) * cs + rows;
      const z = awkward(rng, n);
      const b = awkward(rng, rows);
      const want = z.slice();
      addColumnInPlace(want, b, rows, cols, 1, cs);
      const got = Matrix.view(inWasm(z), rows, cols, 1, cs);
      addColumn(got, got, new Matrix(rows, 1, inWasm(b)));
      expect(bits(got.data)).toEqual(bits(want));

      const sumWant = new Float32Array(rows);
      sumColumns(sumWant, z, rows, cols, 1, cs);
      const sumGot = new Matrix(rows, 1, wasm.alloc(rows));
      sumCols(sumGot, Matrix.view(inWasm(z), rows, cols, 1, cs));
      expect(bits(sumGot.data)).toEqual(bits(sumWant));
    });
  }
});
