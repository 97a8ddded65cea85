// kernels/wasm.ts: the WebAssembly SIMD gemm (kernels/assembly/gemm.ts) and
// the memory it works in. Float32Arrays allocated here are views into that
// memory, so the rest of the code uses them as any other array, and a matmul
// whose three operands all live here runs in WebAssembly (see tensor/ops.ts).
// Runs wherever WebAssembly SIMD does: Node, browsers, workers.

import { GEMM_WASM_BASE64, GEMM_WASM_SHARED_BASE64 } from './wasm-module.js';

/**
 * 64 KiB pages of the one-thread memory, reserved up front: 64 MiB, what the page
 * needs to classify. Node's scripts ask for the threads' 1 GiB (setWasmPages), so a
 * conv net with batch norm at mini-batch 64 trains on one thread in WebAssembly
 * too, not in the TypeScript kernels that take over when this memory is full.
 */
export const WASM_PAGES = 1024;

/**
 * Pages of the memory that training threads share (the modules' maximum): 1 GiB,
 * for every thread's arrays and the training images (120,000 of them with
 * `--redrawn` and `--train-size 60000`) and the arrays of wide conv nets.
 * Untouched pages cost no memory.
 */
export const SHARED_WASM_PAGES = 16384;

/**
 * The gemm's scratch (its lists of the nonzero steps of B and its packed
 * panels, assembly/gemm.ts): 256 KiB for each instance at the top of its
 * memory, one slot per thread sharing a memory (at most 64), so that no two
 * threads write the same list.
 */
const SCRATCH_BYTES = 256 * 1024;
export const SCRATCH_SLOTS = 64;

type GemmExport = (
  c: number, a: number, b: number, m: number, k: number, n: number,
  sAi: number, sAp: number, sBp: number, sBj: number, sCi: number, sCj: number, accumulate: number,
) => void;

type AxpyExport = (y: number, alpha: number, x: number, n: number) => void;
type ScaleAxpyExport = (y: number, beta: number, alpha: number, x: number, n: number) => void;
type UnitBytesExport = (x: number, n: number) => void;
type ConvShapeExport = (out: number, x: number, m: number, c: number, h: number, w: number, k: number) => void;
type PoolForwardExport = (y: number, where: number, x: number, m: number, c: number, h: number, w: number) => void;
type PoolBackwardExport = (dx: number, dy: number, where: number, count: number, size: number) => void;
type MapsExport = (out: number, x: number, b: number, f: number, m: number, p: number) => void;
type ArraysExport = (out: number, x: number, n: number) => void;
type MomentumExport = (w: number, v: number, g: number, mu: number, a: number, d: number, n: number) => void;
type ColumnsExport = (out: number, x: number, rows: number, cols: number, cs: number) => void;

export class WasmKernels {
  readonly memory: WebAssembly.Memory;
  private readonly gemmExport: GemmExport;
  private readonly axpyExport: AxpyExport;
  private readonly scaleAxpyExport: ScaleAxpyExport;
  private readonly momentumExport: MomentumExport;
  private readonly unitBytesExport: UnitBytesExport;
  private readonly peakExport: (iterations: number) => number;
  private readonly im2colExport: ConvShapeExport;
  private readonly col2imExport: ConvShapeExport;
  private readonly poolForwardExport: PoolForwardExport;
  private readonly poolBackwardExport: PoolBackwardExport;
  private readonly addBiasMapsExport: MapsExport;
  private readonly mapsToRowsExport: MapsExport;
  private readonly reluForwardExport: ArraysExport;
  private readonly reluBackwardExport: ArraysExport;
  private readonly sigmoidForwardExport: ArraysExport;
  private readonly sigmoidBackwardExport: ArraysExport;
  private readonly addColumnExport: ColumnsExport;
  private readonly sumColumnsExport: ColumnsExport;
  /** fdlibm's eˣ as the sigmoid uses it (for the tests). */
  readonly exp: (x: number) => number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  private top = 16; // byte 0..15 unused: a null pointer stays invalid
  /** Where alloc stops: the scratch slots begin. */
  private readonly end: number;
  private readonly scratch: number;
  private readonly useScratch: (ptr: number, entries: number, skip: number) => void;

  /** `slot`: which thread of those sharing this memory the instance runs in (0 for thread 0 and for an unshared memory). */
  constructor(instance: WebAssembly.Instance, memory: WebAssembly.Memory, slot = 0) {
    this.memory = memory;
    this.buffer = memory.buffer;
    const slots = memory.buffer instanceof SharedArrayBuffer ? SCRATCH_SLOTS : 1;
    if (!Number.isInteger(slot) || slot < 0 || slot >= slots) throw new RangeError(`wasm: scratch slot ${slot} is not one of 0..${slots - 1}`);
    this.end = memory.buffer.byteLength - slots * SCRATCH_BYTES;
    this.useScratch = instance.exports.useScratch as (ptr: number, entries: number, skip: number) => void;
    this.scratch = this.end + slot * SCRATCH_BYTES;
    this.skipZeros(true);
    this.gemmExport = instance.exports.gemm as GemmExport;
    this.axpyExport = instance.exports.axpy as AxpyExport;
    this.scaleAxpyExport = instance.exports.scaleAxpy as ScaleAxpyExport;
    this.momentumExport = instance.exports.momentumStep as MomentumExport;
    this.unitBytesExport = instance.exports.unitBytes as UnitBytesExport;
    this.peakExport = instance.exports.simdPeak as (iterations: number) => number;
    this.im2colExport = instance.exports.im2col as ConvShapeExport;
    this.col2imExport = instance.exports.col2im as ConvShapeExport;
    this.poolForwardExport = instance.exports.maxPool2Forward as PoolForwardExport;
    this.poolBackwardExport = instance.exports.maxPool2Backward as PoolBackwardExport;
    this.addBiasMapsExport = instance.exports.addBiasMaps as MapsExport;
    this.mapsToRowsExport = instance.exports.mapsToRows as MapsExport;
    this.reluForwardExport = instance.exports.reluForward as ArraysExport;
    this.reluBackwardExport = instance.exports.reluBackward as ArraysExport;
    this.sigmoidForwardExport = instance.exports.sigmoidForward as ArraysExport;
    this.sigmoidBackwardExport = instance.exports.sigmoidBackward as ArraysExport;
    this.exp = instance.exports.exp as (x: number) => number;
    this.addColumnExport = instance.exports.addColumn as ColumnsExport;
    this.sumColumnsExport = instance.exports.sumColumns as ColumnsExport;
  }

  /**
   * n zeroed floats in WebAssembly memory, 16-byte aligned (one f32x4). The
   * memory never grows (growing would detach every view handed out), so
   * when it is full this returns an ordinary Float32Array, which the ops then
   * multiply with the TypeScript kernels: slower, never wrong.
   */
  alloc(n: number): Float32Array {
    const bytes = n * 4;
    if (this.top + bytes > this.end) return new Float32Array(n);
    const view = new Float32Array(this.buffer, this.top, n);
    this.top = (this.top + bytes + 15) & ~15;
    return view;
  }

  /**
   * Whether the gemm lists B's nonzero steps and skips the rest (the default).
   * Off, it takes every step: the same results, bit for bit, which the tests
   * check, and the bench's "dense" figures.
   */
  skipZeros(on: boolean): void {
    this.useScratch(this.scratch, SCRATCH_BYTES / 4, on ? 1 : 0);
  }

  /** Bytes handed out so far. */
  get used(): number {
    return this.top;
  }

  owns(a: Float32Array): boolean {
    return a.buffer === this.buffer;
  }

  /** The strided gemm of kernels/gemm.ts, on arrays this memory owns. */
  gemm(
    c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
    sAi: number, sAp: number, sBp: number, sBj: number, sCi: number, sCj: number, accumulate: boolean,
  ): void {
    this.gemmExport(c.byteOffset, a.byteOffset, b.byteOffset, m, k, n, sAi, sAp, sBp, sBj, sCi, sCj, accumulate ? 1 : 0);
  }

  /** y += alpha·x over n floats, on arrays this memory owns. */
  axpy(y: Float32Array, alpha: number, x: Float32Array, n: number): void {
    this.axpyExport(y.byteOffset, alpha, x.byteOffset, n);
  }

  /** y = beta·y + alpha·x over n floats. */
  scaleAxpy(y: Float32Array, beta: number, alpha: number, x: Float32Array, n: number): void {
    this.scaleAxpyExport(y.byteOffset, beta, alpha, x.byteOffset, n);
  }

  /** x[i] = bytes[i] / 255 for i < n, the bytes in x's own last quarter (assembly/gemm.ts, unitBytes). */
  unitBytes(x: Float32Array, n: number): void {
    this.unitBytesExport(x.byteOffset, n);
  }

  /** The bench's SIMD peak loop: `iterations` rounds of 56 FLOP (assembly/gemm.ts, simdPeak). */
  simdPeak(iterations: number): number {
    return this.peakExport(iterations);
  }

  /** kernels/conv.ts's im2col, on arrays this memory owns (assembly/conv.ts). */
  im2col(cols: Float32Array, x: Float32Array, m: number, C: number, H: number, W: number, k: number): void {
    this.im2colExport(cols.byteOffset, x.byteOffset, m, C, H, W, k);
  }

  /** kernels/conv.ts's col2im. */
  col2im(dx: Float32Array, dcols: Float32Array, m: number, C: number, H: number, W: number, k: number): void {
    this.col2imExport(dx.byteOffset, dcols.byteOffset, m, C, H, W, k);
  }

  /** kernels/conv.ts's maxPool2Forward. */
  maxPool2Forward(y: Float32Array, where: Int32Array, x: Float32Array, m: number, C: number, H: number, W: number): void {
    this.poolForwardExport(y.byteOffset, where.byteOffset, x.byteOffset, m, C, H, W);
  }

  /** kernels/conv.ts's maxPool2Backward. */
  maxPool2Backward(dx: Float32Array, dy: Float32Array, where: Int32Array, count: number, size: number): void {
    this.poolBackwardExport(dx.byteOffset, dy.byteOffset, where.byteOffset, count, size);
  }

  /** kernels/conv.ts's addBiasMaps. */
  addBiasMaps(a: Float32Array, z: Float32Array, b: Float32Array, F: number, m: number, P: number): void {
    this.addBiasMapsExport(a.byteOffset, z.byteOffset, b.byteOffset, F, m, P);
  }

  /** kernels/conv.ts's mapsToRows (gb null: no bias gradient). */
  mapsToRows(dz: Float32Array, delta: Float32Array, gb: Float32Array | null, F: number, m: number, P: number): void {
    this.mapsToRowsExport(dz.byteOffset, delta.byteOffset, gb ? gb.byteOffset : 0, F, m, P);
  }

  /** nn/activations.ts's relu.forward: a = max(0, z) over n floats (assembly/activations.ts). */
  reluForward(a: Float32Array, z: Float32Array, n: number): void {
    this.reluForwardExport(a.byteOffset, z.byteOffset, n);
  }

  /** nn/activations.ts's relu.backward: δ = 0 where a ≤ 0. */
  reluBackward(delta: Float32Array, a: Float32Array, n: number): void {
    this.reluBackwardExport(delta.byteOffset, a.byteOffset, n);
  }

  /** nn/activations.ts's sigmoid.forward: a = 1 / (1 + e⁻ᶻ) over n floats (assembly/activations.ts). */
  sigmoidForward(a: Float32Array, z: Float32Array, n: number): void {
    this.sigmoidForwardExport(a.byteOffset, z.byteOffset, n);
  }

  /** nn/activations.ts's sigmoid.backward: δ ⊙= a(1 − a). */
  sigmoidBackward(delta: Float32Array, a: Float32Array, n: number): void {
    this.sigmoidBackwardExport(delta.byteOffset, a.byteOffset, n);
  }

  /** kernels/elementwise.ts's addColumnInPlace for rows stride 1: z(i, j) = z[j·cs + i] += b[i] (assembly/bias.ts). */
  addColumn(z: Float32Array, b: Float32Array, rows: number, cols: number, cs: number): void {
    this.addColumnExport(z.byteOffset, b.byteOffset, rows, cols, cs);
  }

  /** kernels/elementwise.ts's sumColumns for rows stride 1: out[i] = Σⱼ a[j·cs + i]. */
  sumColumns(out: Float32Array, a: Float32Array, rows: number, cols: number, cs: number): void {
    this.sumColumnsExport(out.byteOffset, a.byteOffset, rows, cols, cs);
  }

  /** v = mu·v − a·g − d·w, w = w + v over n floats. */
  momentumStep(w: Float32Array, v: Float32Array, g: Float32Array, mu: number, a: number, d: number, n: number): void {
    this.momentumExport(w.byteOffset, v.byteOffset, g.byteOffset, mu, a, d, n);
  }
}

function moduleBytes(shared = false): Uint8Array<ArrayBuffer> {
  const text = atob(shared ? GEMM_WASM_SHARED_BASE64 : GEMM_WASM_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** True when this engine runs WebAssembly with the SIMD proposal (our module validates). */
export function wasmSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function' && WebAssembly.validate(moduleBytes());
}

/** True when memory can be shared with worker threads (Node; browsers only when cross-origin isolated). */
export function sharedMemorySupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/**
 * Compiles and instantiates the SIMD kernels. With no memory given, a fresh
 * one (shared between threads if `shared`); a worker thread passes the memory
 * its parent made, to work on the same arrays, and its thread number as `slot`.
 */
export async function loadWasmKernels(
  options: { shared?: boolean; memory?: WebAssembly.Memory; slot?: number; pages?: number } = {},
): Promise<WasmKernels> {
  const shared = options.shared ?? options.memory?.buffer instanceof SharedArrayBuffer;
  const pages = shared ? SHARED_WASM_PAGES : Math.min(options.pages ?? WASM_PAGES, SHARED_WASM_PAGES);
  const memory = options.memory ?? new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  const { instance } = await WebAssembly.instantiate(moduleBytes(shared), { env: { memory } });
  return new WasmKernels(instance, memory, options.slot);
}
