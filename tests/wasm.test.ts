// The WebAssembly SIMD backend against its TypeScript twin and the float64
// reference: every code path of the gemm (dot products, rows, transposed
// rows, plain loops), axpy, whole training runs, backend selection and the
// fallbacks. Also: the committed module is what its source compiles to.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBackend, selectBackend, tsBackend, wasmKernels, type Backend } from '../src/backend.js';
import { gemmStrided } from '../src/kernels/gemm.js';
import { axpy as axpyTs } from '../src/kernels/elementwise.js';
import { loadWasmKernels, SHARED_WASM_PAGES, WASM_PAGES, wasmSimdSupported, type WasmKernels } from '../src/kernels/wasm.js';
import { Network } from '../src/nn/network.js';
import { CrossEntropyCost } from '../src/nn/costs.js';
import { sgd } from '../src/nn/sgd.js';
import { Matrix } from '../src/tensor/matrix.js';
import { byteStage, matmul, unitFromBytes } from '../src/tensor/ops.js';
import { gatherBatch } from '../src/data/dataset.js';
import { Rng } from '../src/rng.js';
import { compileKernels, moduleSource, TARGET } from '../scripts/build-wasm.js';
import { randomImages } from './fixtures.js';
import { expectAllClose, randomArray, refMatmul } from './reference.js';

let kernels: WasmKernels;
let wasm: Backend;
beforeAll(async () => {
  wasm = await selectBackend('wasm');
  kernels = wasmKernels()!;
  await selectBackend('ts');
});
afterAll(async () => {
  await selectBackend('ts');
});

describe('the WebAssembly module', () => {
  it('is supported here (Node 20 has WebAssembly SIMD)', () => {
    expect(wasmSimdSupported()).toBe(true);
  });

  it('committed in src/kernels/wasm-module.ts is what src/kernels/assembly/gemm.ts compiles to', async () => {
    expect(readFileSync(TARGET, 'utf8')).toBe(moduleSource(await compileKernels()));
  });
});

// (m, k, n): multiples of 4 and 8 and not, 1×n, n×1, k = 1, k < 4, the network's shapes
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 9, 1], [1, 5, 7], [7, 5, 1], [6, 1, 4], [3, 7, 5], [4, 4, 4], [8, 3, 8], [9, 2, 17],
  [13, 17, 11], [30, 784, 10], [10, 30, 10], [30, 10, 784], [100, 784, 1], [5, 3, 13],
];

// Storage orders of A, B, C: row-major (r) or column-major (c). Each picks a kernel path.
const LAYOUTS = ['rrr', 'rcc', 'crr', 'ccc', 'rcr', 'crc', 'rrc', 'ccr'];

describe('wasm gemm matches the TypeScript kernel and the reference', () => {
  for (const layout of LAYOUTS) {
    for (const [m, k, n] of SHAPES) {
      it(`${layout} ${m}×${k}·${k}×${n}`, () => {
        const rng = new Rng(m * 31 + k * 7 + n + layout.charCodeAt(0) + 3 * layout.charCodeAt(1));
        const order = (ch: string) => (ch === 'r' ? 'row' : 'col') as 'row' | 'col';
        const make = (rows: number, cols: number, o: 'row' | 'col') => {
          const mat = new Matrix(rows, cols, kernels.alloc(rows * cols), o);
          mat.data.set(randomArray(rng, rows * cols));
          return mat;
        };
        const a = make(m, k, order(layout[0]));
        const b = make(k, n, order(layout[1]));
        const c = make(m, n, order(layout[2]));
        const c0 = c.clone();
        const expected = refMatmul(a.toRows().flat(), m, k, b.toRows().flat(), k, n, false, false);
        for (const accumulate of [false, true]) {
          c.data.set(c0.data);
          kernels.gemm(c.data, a.data, b.data, m, k, n, a.rowStride, a.colStride, b.rowStride, b.colStride, c.rowStride, c.colStride, accumulate);
          const twin = c0.clone();
          gemmStrided(twin.data, a.data, b.data, m, k, n, a.rowStride, a.colStride, b.rowStride, b.colStride, twin.rowStride, twin.colStride, accumulate);
          const want = expected.map((v, idx) => v + (accumulate ? c0.get(Math.floor(idx / n), idx % n) : 0));
          expectAllClose(c.toRows().flat(), want, 1e-5, 1e-4, `wasm ${layout} acc=${accumulate}`);
          expectAllClose(c.data, twin.data, 1e-5, 1e-4, `wasm vs ts ${layout} acc=${accumulate}`);
        }
      });
    }
  }

  it('matmul uses it for arrays in WebAssembly memory and the TypeScript kernel otherwise', () => {
    const rng = new Rng(5);
    const a = new Matrix(30, 784, kernels.alloc(30 * 784));
    a.data.set(randomArray(rng, a.size));
    const x = new Matrix(784, 10, kernels.alloc(7840), 'col');
    x.data.set(randomArray(rng, x.size));
    const inWasm = matmul(new Matrix(30, 10, kernels.alloc(300), 'col'), a, x);
    const onHeap = matmul(new Matrix(30, 10, undefined, 'col'), a.clone(), x.clone());
    expect(kernels.owns(inWasm.data)).toBe(true);
    expect(kernels.owns(onHeap.data)).toBe(false);
    expectAllClose(inWasm.data, onHeap.data, 1e-5, 1e-4);
    // the SIMD kernel sums in float32 lanes, the TypeScript one in float64: not bit-identical
    expect(Array.from(inWasm.data)).not.toEqual(Array.from(onHeap.data));
  });
});

describe('wasm axpy', () => {
  for (const n of [1, 3, 15, 16, 17, 23860]) {
    it(`matches the TypeScript loop for ${n} floats`, () => {
      const rng = new Rng(n);
      const y = kernels.alloc(n);
      const x = kernels.alloc(n);
      y.set(randomArray(rng, n));
      x.set(randomArray(rng, n));
      const twin = y.slice();
      kernels.axpy(y, -0.3, x, n);
      axpyTs(twin, -0.3, x, n);
      expectAllClose(y, twin, 1e-7, 1e-6);
    });
  }
});

describe('wasm gemm skipping zeros', () => {
  // Each kernel lists the steps where the operand it streams is not all zero and skips
  // the others: the sums must be the very same floats as with every step taken.
  // Layouts (A, B, C; r row-major, c column-major) pick the kernel: rcc the dot
  // products (feedforward), crr and rrr the row kernel (BP4), ccc the transposed one (BP2).
  const cases: [string, number, number, number][] = [
    ['rcc', 30, 784, 10], ['rcc', 7, 101, 5], ['crr', 30, 10, 784], ['crr', 9, 13, 29], ['rrr', 20, 25, 96], ['ccc', 30, 10, 12], ['ccc', 784, 30, 10],
  ];
  for (const [layout, m, k, n] of cases) {
    it(`${layout} ${m}×${k}·${k}×${n}: the same bits as the dense loop, close to the reference`, () => {
      const rng = new Rng(m * 1000 + k * 10 + n);
      const order = (ch: string) => (ch === 'r' ? 'row' : 'col') as 'row' | 'col';
      const make = (rows: number, cols: number, o: 'row' | 'col', zeros: boolean) => {
        const mat = new Matrix(rows, cols, kernels.alloc(rows * cols), o);
        mat.data.set(randomArray(rng, rows * cols));
        // runs of zeros (whole blocks skip) and scattered ones (blocks that do not)
        if (zeros) for (let i = 0; i < mat.data.length; i++) if ((i >> 4) % 3 === 0 || rng.uniform() < 0.5) mat.data[i] = 0;
        return mat;
      };
      const a = make(m, k, order(layout[0]), true);
      const b = make(k, n, order(layout[1]), true);
      const run = () => {
        const c = make(m, n, order(layout[2]), false);
        kernels.gemm(c.data, a.data, b.data, m, k, n, a.rowStride, a.colStride, b.rowStride, b.colStride, c.rowStride, c.colStride, false);
        return c;
      };
      const skipped = run();
      kernels.skipZeros(false);
      let dense: Matrix;
      try {
        dense = run();
      } finally {
        kernels.skipZeros(true);
      }
      expect(Array.from(skipped.data)).toEqual(Array.from(dense.data));
      expect(skipped.data.some((v) => v !== 0)).toBe(true);
      const expected = refMatmul(a.toRows().flat(), m, k, b.toRows().flat(), k, n, false, false);
      expectAllClose(skipped.toRows().flat(), expected, 1e-5, 1e-4, `skipping zeros, ${layout}`);
    });
  }
});

describe('wasm gemm: every way of blocking gives the same bits', () => {
  // Each C(i, j) is one sum over p in one order, however the kernel blocks the rows: packed in
  // the scratch (rows of C), the plain loops where the panels do not fit (m·k large), the
  // last rows (m mod 4) padded into a block of four or done on their own. So a product
  // equals, bit for bit, the same product taken a few rows at a time.
  const cases: [string, number, number, number, number][] = [
    // layout, m, k, n, rows per piece
    ['crr', 300, 250, 19, 37], // rows of C: 300·250 floats of A do not fit the scratch, 37 rows do
    ['rrr', 302, 240, 21, 6],
    ['ccc', 19, 250, 300, 5], // the transposed rows problem: C's 300 columns are its rows
    ['rcc', 30, 784, 12, 4], // dot products: the last two of 30 rows padded, or a block of their own
    ['rcc', 11, 90, 7, 3],
  ];
  for (const [layout, m, k, n, piece] of cases) {
    it(`${layout} ${m}×${k}·${k}×${n} whole and ${piece} rows at a time, skipping zeros and not`, () => {
      const rng = new Rng(m + k + n + piece);
      const order = (ch: string) => (ch === 'r' ? 'row' : 'col') as 'row' | 'col';
      const make = (rows: number, cols: number, o: 'row' | 'col') => {
        const mat = new Matrix(rows, cols, kernels.alloc(rows * cols), o);
        mat.data.set(randomArray(rng, rows * cols));
        for (let i = 0; i < mat.data.length; i++) if ((i >> 3) % 3 === 0 || rng.uniform() < 0.4) mat.data[i] = 0;
        return mat;
      };
      const a = make(m, k, order(layout[0]));
      const b = make(k, n, order(layout[1]));
      const whole = new Matrix(m, n, kernels.alloc(m * n), order(layout[2]));
      const pieces = new Matrix(m, n, kernels.alloc(m * n), order(layout[2]));
      for (const skip of [true, false]) {
        kernels.skipZeros(skip);
        try {
          kernels.gemm(whole.data, a.data, b.data, m, k, n, a.rowStride, a.colStride, b.rowStride, b.colStride, whole.rowStride, whole.colStride, false);
          for (let i0 = 0; i0 < m; i0 += piece) {
            const rows = Math.min(piece, m - i0);
            kernels.gemm(
              pieces.data.subarray(i0 * pieces.rowStride), a.data.subarray(i0 * a.rowStride), b.data, rows, k, n,
              a.rowStride, a.colStride, b.rowStride, b.colStride, pieces.rowStride, pieces.colStride, false,
            );
          }
        } finally {
          kernels.skipZeros(true);
        }
        expect(Array.from(pieces.data)).toEqual(Array.from(whole.data));
        const expected = refMatmul(a.toRows().flat(), m, k, b.toRows().flat(), k, n, false, false);
        expectAllClose(whole.toRows().flat(), expected, 1e-5, 1e-4, `${layout} skip=${skip}`);
      }
    });
  }
});

describe('pixel bytes to [0, 1]', () => {
  // gatherBatch copies an image's bytes into x's last quarter (WebAssembly memory), and
  // unitBytes widens them in place, front to back, one float division each; in TypeScript
  // the engine converts bytes to floats and the division is in double, rounded to float.
  // Every byte value must come out as the same float both ways.
  it('gives Math.fround(v / 255) for every byte v on both kernels, widening in place without overwriting a byte it has yet to read', () => {
    for (const n of [259, 16 * 49 + 7, 16]) { // the SIMD loop and the scalar tail; a whole batch of 16
      const inWasm = kernels.alloc(n).fill(-1);
      const onHeap = new Float32Array(n);
      const stage = byteStage(inWasm, n)!;
      expect(byteStage(onHeap, n)).toBeNull();
      const bytes = Array.from({ length: n }, (_, i) => (i * 7) % 256); // every value, in a shuffled order
      stage.set(bytes);
      onHeap.set(bytes);
      unitFromBytes(inWasm, n);
      unitFromBytes(onHeap, n);
      const expected = bytes.map((v) => Math.fround(v / 255));
      expect(Array.from(inWasm)).toEqual(expected);
      expect(Array.from(onHeap)).toEqual(expected);
    }
    expect(() => unitFromBytes(new Float32Array(259), 260)).toThrow(/260 entries asked of an array of 259/);
    expect(() => byteStage(kernels.alloc(3), 4)).toThrow(/4 entries asked of an array of 3/);
  });

  it('gathers the same input matrix into WebAssembly memory as onto the heap', () => {
    const set = randomImages(784, 40, 28, 28, 10);
    const order = new Uint32Array(40).map((_, i) => (i * 17) % 40);
    const [xw, yw] = [kernels.alloc(784 * 13), kernels.alloc(10 * 13)];
    const [xh, yh] = [new Float32Array(784 * 13), new Float32Array(10 * 13)];
    gatherBatch(xw, yw, 10, set, order, 5, 13);
    gatherBatch(xh, yh, 10, set, order, 5, 13);
    expect(Array.from(xw)).toEqual(Array.from(xh));
    expect(Array.from(yw)).toEqual(Array.from(yh));
    expect(xh[784 * 2 + 100]).toBe(Math.fround(set.images[order[7] * 784 + 100] / 255));
  });
});

describe('wasm scaleAxpy and momentum step', () => {
  for (const n of [1, 5, 16, 23861]) {
    it(`match the TypeScript loops for ${n} floats`, async () => {
      const { scaleAxpy, momentumStep } = await import('../src/kernels/elementwise.js');
      const rng = new Rng(n + 1);
      const make = () => {
        const a = kernels.alloc(n);
        a.set(randomArray(rng, n));
        return a;
      };
      const y = make();
      const x = make();
      const twin = y.slice();
      kernels.scaleAxpy(y, 0.999, -0.05, x, n);
      scaleAxpy(twin, 0.999, -0.05, x, n);
      expectAllClose(y, twin, 1e-7, 1e-6, 'scaleAxpy');
      const w = make();
      const v = make();
      const g = make();
      const [w2, v2] = [w.slice(), v.slice()];
      kernels.momentumStep(w, v, g, 0.9, 0.05, 0.001, n);
      momentumStep(w2, v2, g, 0.9, 0.05, 0.001, n);
      expectAllClose(v, v2, 1e-7, 1e-6, 'velocity');
      expectAllClose(w, w2, 1e-7, 1e-6, 'weights');
    });
  }
});

describe('training with both backends', () => {
  it('with L2 and momentum too, the same weights after an epoch (to float32 tolerance)', () => {
    const train = randomImages(5, 200, 28, 28);
    const run = (backend: Backend) => {
      const rng = new Rng(10);
      const net = Network.random([784, 30, 10], rng, { backend, cost: CrossEntropyCost, init: 'default' });
      sgd(net, train, { epochs: 1, miniBatchSize: 10, eta: 0.5, rng, lambda: 5, momentum: 0.5 });
      return net;
    };
    const ts = run(tsBackend);
    const wa = run(wasm);
    expect(kernels.owns(wa.params)).toBe(true);
    expectAllClose(wa.params, ts.params, 1e-4, 1e-3, 'params');
  });

  it('gives the same weights after an epoch (to float32 tolerance)', () => {
    const train = randomImages(3, 200, 28, 28);
    const test = randomImages(4, 50, 28, 28);
    const run = (backend: Backend) => {
      const rng = new Rng(9);
      const net = Network.random([784, 30, 10], rng, { backend: backend });
      const results = sgd(net, train, { epochs: 1, miniBatchSize: 10, eta: 3.0, rng, evaluation: test });
      return { net, results };
    };
    const ts = run(tsBackend);
    const wa = run(wasm);
    expect(kernels.owns(wa.net.params)).toBe(true);
    expect(kernels.owns(ts.net.params)).toBe(false);
    expectAllClose(wa.net.params, ts.net.params, 1e-4, 1e-3, 'params');
    expect(wa.results[0].correct).toBe(ts.results[0].correct);
  });
});

describe('the convolutional layer stack on both backends', () => {
  it('gives the same outputs and gradients (to float32 tolerance), its arrays in WebAssembly memory', async () => {
    const { LayerStack } = await import('../src/nn/stack.js');
    const spec = 'conv 6 5x5 relu, pool 2, conv 4 3x3 tanh, pool 2, fc 20 relu, softmax 10';
    const ts = new LayerStack(spec, undefined, tsBackend);
    const wa = new LayerStack(spec, undefined, wasm);
    expect(kernels.owns(wa.params)).toBe(true);
    ts.init(new Rng(3));
    wa.params.set(ts.params);
    const rng = new Rng(4);
    const m = 5;
    const x = randomArray(rng, 784 * m).map(Math.abs);
    const xw = kernels.alloc(x.length);
    xw.set(x);
    const y = new Float32Array(10 * m);
    for (let j = 0; j < m; j++) y[j * 10 + rng.below(10)] = 1;
    const outT = ts.forward(x, m, true);
    const outW = wa.forward(xw, m, true);
    expectAllClose(outW, outT, 1e-6, 1e-4, 'outputs');
    ts.backward(outT, y, m);
    wa.backward(outW, y, m);
    expectAllClose(wa.grads, ts.grads, 1e-5, 1e-3, 'gradients');
  });
});

describe('backend selection', () => {
  it("'auto' takes wasm where SIMD exists and ts where it does not", async () => {
    expect((await selectBackend('auto')).name).toBe('wasm');
    expect(defaultBackend().name).toBe('wasm');
    expect(kernels.owns(new Network([4, 3, 2]).params)).toBe(true);
    expect((await selectBackend('auto', { simdSupported: false })).name).toBe('ts');
    expect(defaultBackend()).toBe(tsBackend);
  });

  it("asking for 'wasm' without SIMD is an error that says what to do", async () => {
    await expect(selectBackend('wasm', { simdSupported: false })).rejects.toThrow('use the ts backend');
  });

  it('falls back to heap arrays and the TypeScript kernel when WebAssembly memory is full', async () => {
    const own = await loadWasmKernels();
    const big = own.alloc(15 * 1024 * 1024); // 60 MiB of the 64
    expect(own.owns(big)).toBe(true);
    const spill = own.alloc(2 * 1024 * 1024);
    expect(own.owns(spill)).toBe(false);
    expect(spill.length).toBe(2 * 1024 * 1024);
  });

  it("reserves the pages asked for (Node's scripts: 1 GiB, as the threads), at most the module's 1 GiB", async () => {
    const node = await loadWasmKernels({ pages: SHARED_WASM_PAGES });
    expect(node.memory.buffer.byteLength).toBe(SHARED_WASM_PAGES * 65536);
    expect(node.owns(node.alloc(100 * 1024 * 1024))).toBe(true); // 400 MiB: a conv net's arrays with batch norm at mini-batch 64 fit
    expect((await loadWasmKernels()).memory.buffer.byteLength).toBe(WASM_PAGES * 65536); // the page's 64 MiB
    expect((await loadWasmKernels({ pages: 2 * SHARED_WASM_PAGES })).memory.buffer.byteLength).toBe(SHARED_WASM_PAGES * 65536);
  });
});
