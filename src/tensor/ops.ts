// tensor/ops.ts: the checked operations on Matrix: the friendly boundary.
// Each op checks shapes once, throws a RangeError that names the op and both
// shapes, then hands bare Float32Arrays to a kernel. Results go into an `out`
// matrix the caller owns, so a training step allocates nothing.

import { gemmStrided } from '../kernels/gemm.js';
import {
  addColumnInPlace, argmaxColumns, axpy as axpyKernel, mapInto, momentumStep, mulInto, scaleAxpy, subInto, sumColumns, zipInto,
} from '../kernels/elementwise.js';
import { Matrix } from './matrix.js';

/** The faster kernels for arrays that live in WebAssembly memory (kernels/wasm.ts), once loaded. */
interface MemoryKernels {
  owns(a: Float32Array): boolean;
  gemm(
    c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
    sAi: number, sAp: number, sBp: number, sBj: number, sCi: number, sCj: number, accumulate: boolean,
  ): void;
  axpy(y: Float32Array, alpha: number, x: Float32Array, n: number): void;
  scaleAxpy(y: Float32Array, beta: number, alpha: number, x: Float32Array, n: number): void;
  momentumStep(w: Float32Array, v: Float32Array, g: Float32Array, mu: number, a: number, d: number, n: number): void;
  unitBytes(x: Float32Array, n: number): void;
  im2col(cols: Float32Array, x: Float32Array, m: number, C: number, H: number, W: number, k: number): void;
  col2im(dx: Float32Array, dcols: Float32Array, m: number, C: number, H: number, W: number, k: number): void;
  maxPool2Forward(y: Float32Array, where: Int32Array, x: Float32Array, m: number, C: number, H: number, W: number): void;
  maxPool2Backward(dx: Float32Array, dy: Float32Array, where: Int32Array, count: number, size: number): void;
  addBiasMaps(a: Float32Array, z: Float32Array, b: Float32Array, F: number, m: number, P: number): void;
  mapsToRows(dz: Float32Array, delta: Float32Array, gb: Float32Array | null, F: number, m: number, P: number): void;
  reluForward(a: Float32Array, z: Float32Array, n: number): void;
  reluBackward(delta: Float32Array, a: Float32Array, n: number): void;
  sigmoidForward(a: Float32Array, z: Float32Array, n: number): void;
  sigmoidBackward(delta: Float32Array, a: Float32Array, n: number): void;
  addColumn(z: Float32Array, b: Float32Array, rows: number, cols: number, cs: number): void;
  sumColumns(out: Float32Array, a: Float32Array, rows: number, cols: number, cs: number): void;
}
const wasmInstances: MemoryKernels[] = [];

/** Called by backend.ts when WebAssembly kernels are loaded (one per memory: ordinary, shared). */
export function useWasmKernels(k: MemoryKernels): void {
  wasmInstances.push(k);
}

/** The WebAssembly kernels whose memory holds `a`, if any. */
export function wasmFor(a: Float32Array): MemoryKernels | null {
  for (let i = 0; i < wasmInstances.length; i++) if (wasmInstances[i].owns(a)) return wasmInstances[i];
  return null;
}

export interface MatmulOptions {
  /** Use Aᵀ instead of A (read in place, not copied). */
  transA?: boolean;
  /** Use Bᵀ instead of B (read in place, not copied). */
  transB?: boolean;
  /** Add to `out` instead of overwriting it. */
  accumulate?: boolean;
}

const NO_OPTIONS: MatmulOptions = {};

/** out = op(a) · op(b), where op is the identity or the transpose. */
export function matmul(out: Matrix, a: Matrix, b: Matrix, options: MatmulOptions = NO_OPTIONS): Matrix {
  const transA = options.transA === true;
  const transB = options.transB === true;
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    throw new RangeError(
      `matmul: inner dimensions ${k} and ${kb} differ; a is ${a.shape}, b is ${b.shape} (transA=${transA}, transB=${transB})`,
    );
  }
  if (out.rows !== m || out.cols !== n) {
    throw new RangeError(
      `matmul: out is ${out.shape} but a (${a.shape}) times b (${b.shape}) is ${m}×${n} (transA=${transA}, transB=${transB})`,
    );
  }
  if (out.data === a.data || out.data === b.data) {
    throw new RangeError(`matmul: out must not share its data with a or b (out is ${out.shape})`);
  }
  // op(A)(i, p) and op(B)(p, j) as strides into the operands' storage
  const sAi = transA ? a.colStride : a.rowStride;
  const sAp = transA ? a.rowStride : a.colStride;
  const sBp = transB ? b.colStride : b.rowStride;
  const sBj = transB ? b.rowStride : b.colStride;
  const accumulate = options.accumulate === true;
  const wasm = wasmFor(out.data);
  if (wasm && wasm.owns(a.data) && wasm.owns(b.data)) {
    wasm.gemm(out.data, a.data, b.data, m, k, n, sAi, sAp, sBp, sBj, out.rowStride, out.colStride, accumulate);
  } else {
    gemmStrided(out.data, a.data, b.data, m, k, n, sAi, sAp, sBp, sBj, out.rowStride, out.colStride, accumulate);
  }
  return out;
}

/** out = a + b broadcast along the rows: b is a column (rows×1) added to every column of a. */
export function addColumn(out: Matrix, a: Matrix, b: Matrix): Matrix {
  if (b.cols !== 1 || b.rows !== a.rows) {
    throw new RangeError(`addColumn: b must be a ${a.rows}×1 column for a ${a.shape}; a is ${a.shape}, b is ${b.shape}`);
  }
  if (out !== a) {
    sameShape('addColumn', out, a);
    out.data.set(a.data);
  }
  const wasm = out === a ? columnsInWasm(a, b.data) : null;
  if (wasm) wasm.addColumn(a.data, b.data, a.rows, a.cols, a.colStride);
  else addColumnInPlace(out.data, b.data, a.rows, a.cols, a.rowStride, a.colStride);
  return out;
}

/** out (rows×1) = the sum over the columns of a (rows×cols). */
export function sumCols(out: Matrix, a: Matrix): Matrix {
  if (out.cols !== 1 || out.rows !== a.rows) {
    throw new RangeError(`sumCols: out must be ${a.rows}×1; a is ${a.shape}, out is ${out.shape}`);
  }
  const wasm = columnsInWasm(a, out.data);
  if (wasm) wasm.sumColumns(out.data, a.data, a.rows, a.cols, a.colStride);
  else sumColumns(out.data, a.data, a.rows, a.cols, a.rowStride, a.colStride);
  return out;
}

/**
 * The WebAssembly kernels for a bias loop, when m's rows are contiguous (one
 * sample per column) and m and the column v both live in their memory; they
 * take bare pointers, so m must fit its array (checked here).
 */
function columnsInWasm(m: Matrix, v: Float32Array): MemoryKernels | null {
  if (m.rowStride !== 1 || m.colStride < m.rows) return null;
  const wasm = wasmFor(m.data);
  if (!wasm || !wasm.owns(v) || v.length < m.rows) return null;
  if ((m.cols - 1) * m.colStride + m.rows > m.data.length) throw new RangeError(`${m.shape} with column stride ${m.colStride} does not fit its ${m.data.length} values`);
  return wasm;
}

/** out = f(a) entry by entry (out may be a). */
export function map(out: Matrix, a: Matrix, f: (x: number) => number): Matrix {
  sameShape('map', out, a);
  mapInto(out.data, a.data, f, a.size);
  return out;
}

/** out = f(a, b) entry by entry (out may be a or b). */
export function zip(out: Matrix, a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  sameShape('zip', a, b);
  sameShape('zip', out, a);
  zipInto(out.data, a.data, b.data, f, a.size);
  return out;
}

/** out = a − b */
export function sub(out: Matrix, a: Matrix, b: Matrix): Matrix {
  sameShape('sub', a, b);
  sameShape('sub', out, a);
  subInto(out.data, a.data, b.data, a.size);
  return out;
}

/** out = a ⊙ b (the Hadamard, entry-by-entry, product) */
export function hadamard(out: Matrix, a: Matrix, b: Matrix): Matrix {
  sameShape('hadamard', a, b);
  sameShape('hadamard', out, a);
  mulInto(out.data, a.data, b.data, a.size);
  return out;
}

/** y += alpha · x */
export function axpy(y: Matrix, alpha: number, x: Matrix): Matrix {
  sameShape('axpy', y, x);
  axpyArrays(y.data, alpha, x.data);
  return y;
}

/** y += alpha · x for two arrays of the same length (the SGD step over a whole parameter buffer). */
export function axpyArrays(y: Float32Array, alpha: number, x: Float32Array): void {
  if (y.length !== x.length) throw new RangeError(`axpy: lengths differ; y has ${y.length}, x has ${x.length}`);
  const wasm = wasmFor(y);
  if (wasm && wasm.owns(x)) wasm.axpy(y, alpha, x, x.length);
  else axpyKernel(y, alpha, x, x.length);
}

/**
 * Where n pixel bytes go on their way into x (gatherBatch): x's own last
 * quarter, when x is in WebAssembly memory, for unitFromBytes to widen in
 * place; null elsewhere (the bytes then go straight into x as floats).
 * Copying bytes into bytes is a plain memory copy even on shared memory,
 * where converting them to floats on the way is not.
 */
export function byteStage(x: Float32Array, n: number): Uint8Array | null {
  if (n > x.length) throw new RangeError(`byteStage: ${n} entries asked of an array of ${x.length}`);
  return wasmFor(x) ? new Uint8Array(x.buffer, x.byteOffset + 3 * n, n) : null;
}

/**
 * Pixels to [0, 1]: x[i] = v / 255 for the first n entries, v being the byte
 * byteStage staged (in WebAssembly), or x[i] itself (a byte's value as a
 * float, in TypeScript, divided in double and rounded: the same float).
 */
export function unitFromBytes(x: Float32Array, n: number): void {
  if (n > x.length) throw new RangeError(`unitFromBytes: ${n} entries asked of an array of ${x.length}`);
  const wasm = wasmFor(x);
  if (wasm) wasm.unitBytes(x, n);
  else for (let i = 0; i < n; i++) x[i] = x[i] / 255;
}

/** out[j] = the row of the largest entry in column j: the predicted digit of sample j. */
export function argmaxCols(out: Uint8Array | Int32Array, a: Matrix): Uint8Array | Int32Array {
  if (out.length !== a.cols) {
    throw new RangeError(`argmaxCols: out has ${out.length} entries but a is ${a.shape} (one per column)`);
  }
  argmaxColumns(out, a.data, a.rows, a.cols, a.rowStride, a.colStride);
  return out;
}

/** out = aᵀ (a copy; the gemm kernels read transposes in place and never need this). */
export function transpose(out: Matrix, a: Matrix): Matrix {
  if (out.rows !== a.cols || out.cols !== a.rows) {
    throw new RangeError(`transpose: out must be ${a.cols}×${a.rows}; a is ${a.shape}, out is ${out.shape}`);
  }
  if (out.data === a.data) throw new RangeError(`transpose: out must not share its data with a (${a.shape})`);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out.set(j, i, a.get(i, j));
  }
  return out;
}

/** Same shape and the same storage order, so the entries can be walked as one flat array. */
function sameShape(op: string, a: Matrix, b: Matrix): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`${op}: shapes differ; ${a.shape} and ${b.shape}`);
  }
  if (a.order !== b.order || a.order === 'strided') {
    throw new RangeError(`${op}: needs two contiguous matrices of the same storage order; got a ${a.shape} '${a.order}' and a ${b.shape} '${b.order}' matrix`);
  }
}

/** y = beta·y + alpha·x for two arrays of the same length (the L2 step). */
export function scaleAxpyArrays(y: Float32Array, beta: number, alpha: number, x: Float32Array): void {
  if (y.length !== x.length) throw new RangeError(`scaleAxpy: lengths differ; y has ${y.length}, x has ${x.length}`);
  const wasm = wasmFor(y);
  if (wasm && wasm.owns(x)) wasm.scaleAxpy(y, beta, alpha, x, x.length);
  else scaleAxpy(y, beta, alpha, x, x.length);
}

/** Momentum over parameters w, velocities v and gradients g of one length: v = μv − a·g − d·w, w += v. */
export function momentumArrays(w: Float32Array, v: Float32Array, g: Float32Array, mu: number, a: number, d: number): void {
  if (w.length !== v.length || w.length !== g.length) {
    throw new RangeError(`momentum: lengths differ; w ${w.length}, v ${v.length}, g ${g.length}`);
  }
  const wasm = wasmFor(w);
  if (wasm && wasm.owns(v) && wasm.owns(g)) wasm.momentumStep(w, v, g, mu, a, d, w.length);
  else momentumStep(w, v, g, mu, a, d, w.length);
}
