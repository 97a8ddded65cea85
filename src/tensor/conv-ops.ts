// tensor/conv-ops.ts: the convolutional layers' loops (kernels/conv.ts), run in
// WebAssembly (kernels/assembly/conv.ts) when every array lives in its memory,
// as matmul does. Each checks the arrays' lengths against the shapes first and
// throws a RangeError naming the op: the WebAssembly loops take bare pointers
// and would otherwise write past an array's end.

import {
  addBiasMaps as addBiasMapsTs, col2im as col2imTs, im2col as im2colTs, mapsToRows as mapsToRowsTs,
  maxPool2Backward as maxPool2BackwardTs, maxPool2Forward as maxPool2ForwardTs,
} from '../kernels/conv.js';
import { wasmFor } from './ops.js';

function atLeast(op: string, what: string, a: { length: number }, n: number): void {
  if (a.length < n) throw new RangeError(`${op}: ${what} has ${a.length} entries; the shapes need ${n}`);
}

/** cols ((C·k·k) × (m·OH·OW)) = the patches of x (m samples of C×H×W): see kernels/conv.ts. */
export function im2col(cols: Float32Array, x: Float32Array, m: number, C: number, H: number, W: number, k: number): void {
  atLeast('im2col', 'x', x, m * C * H * W);
  atLeast('im2col', 'cols', cols, C * k * k * m * (H - k + 1) * (W - k + 1));
  const wasm = wasmFor(cols);
  if (wasm && wasm.owns(x)) wasm.im2col(cols, x, m, C, H, W, k);
  else im2colTs(cols, x, m, C, H, W, k);
}

/** dx (m samples of C×H×W) = the columns' gradients summed back where im2col took them from. */
export function col2im(dx: Float32Array, dcols: Float32Array, m: number, C: number, H: number, W: number, k: number): void {
  atLeast('col2im', 'dx', dx, m * C * H * W);
  atLeast('col2im', 'dcols', dcols, C * k * k * m * (H - k + 1) * (W - k + 1));
  const wasm = wasmFor(dx);
  if (wasm && wasm.owns(dcols)) wasm.col2im(dx, dcols, m, C, H, W, k);
  else col2imTs(dx, dcols, m, C, H, W, k);
}

/** 2×2 max-pooling of m samples of C×H×W into y, each maximum's index into x in `where`. */
export function maxPool2Forward(y: Float32Array, where: Int32Array, x: Float32Array, m: number, C: number, H: number, W: number): void {
  if (H % 2 !== 0 || W % 2 !== 0) throw new RangeError(`maxPool2Forward: maps of ${H}×${W} do not split into 2×2 windows`);
  atLeast('maxPool2Forward', 'x', x, m * C * H * W);
  atLeast('maxPool2Forward', 'y', y, (m * C * H * W) / 4);
  atLeast('maxPool2Forward', 'where', where, (m * C * H * W) / 4);
  const wasm = wasmFor(y);
  if (wasm && wasm.owns(x) && where.buffer === y.buffer) wasm.maxPool2Forward(y, where, x, m, C, H, W);
  else maxPool2ForwardTs(y, where, x, m, C, H, W);
}

/** dx (size floats) = zero but at each window's maximum, which gets the window's dy (count windows). */
export function maxPool2Backward(dx: Float32Array, dy: Float32Array, where: Int32Array, count: number, size: number): void {
  atLeast('maxPool2Backward', 'dx', dx, size);
  atLeast('maxPool2Backward', 'dy', dy, count);
  atLeast('maxPool2Backward', 'where', where, count);
  const wasm = wasmFor(dx);
  // `where` came from maxPool2Forward over size floats, so each index is below size
  if (wasm && wasm.owns(dy) && where.buffer === dx.buffer) wasm.maxPool2Backward(dx, dy, where, count, size);
  else maxPool2BackwardTs(dx, dy, where, count, size);
}

/** a (m samples of F maps of P) = z (F × (m·P), the gemm's layout) + each map's bias b[f]. */
export function addBiasMaps(a: Float32Array, z: Float32Array, b: Float32Array, F: number, m: number, P: number): void {
  atLeast('addBiasMaps', 'a', a, F * m * P);
  atLeast('addBiasMaps', 'z', z, F * m * P);
  atLeast('addBiasMaps', 'b', b, F);
  const wasm = wasmFor(a);
  if (wasm && wasm.owns(z) && wasm.owns(b)) wasm.addBiasMaps(a, z, b, F, m, P);
  else addBiasMapsTs(a, z, b, F, m, P);
}

/** dz (F × (m·P)) = delta (m samples of F maps of P) in the gemm's layout; gb[f] = Σ of map f's δ unless gb is null. */
export function mapsToRows(dz: Float32Array, delta: Float32Array, gb: Float32Array | null, F: number, m: number, P: number): void {
  atLeast('mapsToRows', 'dz', dz, F * m * P);
  atLeast('mapsToRows', 'delta', delta, F * m * P);
  if (gb) atLeast('mapsToRows', 'gb', gb, F);
  const wasm = wasmFor(dz);
  if (wasm && wasm.owns(delta) && (!gb || wasm.owns(gb))) wasm.mapsToRows(dz, delta, gb, F, m, P);
  else mapsToRowsTs(dz, delta, gb, F, m, P);
}
