// backend.ts: where a network's numbers live and which kernels multiply them.
//   'ts'   Float32Arrays on the JavaScript heap, the TypeScript kernels: always works.
//   'wasm' Float32Arrays in WebAssembly memory, the SIMD gemm: about ten times faster.
// A Network allocates its parameters, gradients and workspaces through its
// backend; the matrix ops then pick the kernel from where the arrays live.
// `selectBackend('auto')` takes 'wasm' where WebAssembly SIMD exists.

import { loadWasmKernels, wasmSimdSupported, type WasmKernels } from './kernels/wasm.js';
import { useWasmKernels } from './tensor/ops.js';

export type BackendName = 'ts' | 'wasm';

export interface Backend {
  readonly name: BackendName;
  /** n zeroed floats where this backend's kernels want them. */
  alloc(n: number): Float32Array;
}

export const tsBackend: Backend = { name: 'ts', alloc: (n) => new Float32Array(n) };

let wasm: WasmKernels | null = null;
let current: Backend = tsBackend;

/** The WebAssembly kernels the 'wasm' backend uses, once selected. */
export function wasmKernels(): WasmKernels | null {
  return wasm;
}

/** The backend new Networks use unless told otherwise. */
export function defaultBackend(): Backend {
  return current;
}

export interface SelectOptions {
  /** For tests: pretend WebAssembly SIMD is (or is not) available. */
  simdSupported?: boolean;
}

/**
 * Makes `choice` the default backend and returns it. 'auto' is 'wasm' where
 * WebAssembly SIMD is supported and 'ts' elsewhere; asking for 'wasm' where it
 * is not supported is an error.
 */
export async function selectBackend(choice: BackendName | 'auto', options: SelectOptions = {}): Promise<Backend> {
  const simd = options.simdSupported ?? wasmSimdSupported();
  if (choice === 'ts' || (choice === 'auto' && !simd)) {
    current = tsBackend;
    return current;
  }
  if (!simd) throw new Error('the wasm backend needs WebAssembly SIMD, which this engine does not support; use the ts backend');
  if (!wasm) {
    wasm = await loadWasmKernels();
    useWasmKernels(wasm);
  }
  const kernels = wasm;
  current = { name: 'wasm', alloc: (n) => kernels.alloc(n) };
  return current;
}
