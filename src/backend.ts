// backend.ts: where a network's numbers live and which kernels multiply them.
//   'ts'   Float32Arrays on the JavaScript heap, the TypeScript kernels: always works.
//   'wasm' Float32Arrays in WebAssembly memory, the SIMD gemm: about ten times faster.
// A Network allocates its parameters, gradients and workspaces through its
// backend; the matrix ops then pick the kernel from where the arrays live.
// `selectBackend('auto')` takes 'wasm' where WebAssembly SIMD exists.

import { loadWasmKernels, SHARED_WASM_PAGES, WASM_PAGES, wasmSimdSupported, type WasmKernels } from './kernels/wasm.js';
import { useWasmKernels } from './tensor/ops.js';

export type BackendName = 'ts' | 'wasm';

export interface Backend {
  readonly name: BackendName;
  /** n zeroed floats where this backend's kernels want them. */
  alloc(n: number): Float32Array;
  /** For threads: the memory worker threads attach to, and its buffer (sharedBackend only). */
  readonly sharedMemory?: WebAssembly.Memory | SharedArrayBuffer;
  readonly sharedBuffer?: SharedArrayBuffer;
}

export const tsBackend: Backend = { name: 'ts', alloc: (n) => new Float32Array(n) };

let wasm: WasmKernels | null = null;
let wasmPages = WASM_PAGES;

/**
 * How many 64 KiB pages the one-thread WebAssembly memory reserves when the
 * kernels load (before the first selectBackend('wasm'); WASM_PAGES, 64 MiB,
 * unless set). Node's scripts set the threads' 1 GiB: untouched pages cost nothing.
 */
export function setWasmPages(pages: number): void {
  wasmPages = pages;
}
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
    wasm = await loadWasmKernels({ pages: wasmPages });
    useWasmKernels(wasm);
  }
  const kernels = wasm;
  current = { name: 'wasm', alloc: (n) => kernels.alloc(n) };
  return current;
}

/** Bytes of a shared TypeScript-backend arena (as the shared WebAssembly memory: 1 GiB). */
const ARENA_BYTES = SHARED_WASM_PAGES * 65536;

/**
 * A backend whose arrays live in memory that worker threads can share
 * (nn/parallel/threads.ts). Thread 0 calls it with no memory and makes one; the
 * others pass the memory they were given, to attach to the same arrays, and
 * their thread number (each has its own scratch in that memory).
 */
export async function sharedBackend(
  name: BackendName, memory?: WebAssembly.Memory | SharedArrayBuffer, thread = 0,
): Promise<Backend> {
  // An attaching thread only makes views of what thread 0 allocated.
  const attaching = memory !== undefined;
  const checked = (alloc: (n: number) => Float32Array, buffer: SharedArrayBuffer) => (n: number) => {
    if (attaching) throw new Error('threads: a worker thread cannot allocate; thread 0 allocates everything');
    const view = alloc(n);
    if (view.buffer !== buffer) {
      throw new RangeError(`threads: the shared memory (${ARENA_BYTES >> 20} MiB) is full; train this network with one thread`);
    }
    return view;
  };
  if (name === 'wasm') {
    const kernels = await loadWasmKernels(memory ? { memory: memory as WebAssembly.Memory, slot: thread } : { shared: true });
    useWasmKernels(kernels);
    const buffer = kernels.buffer as SharedArrayBuffer;
    return { name, alloc: checked((n) => kernels.alloc(n), buffer), sharedMemory: kernels.memory, sharedBuffer: buffer };
  }
  const buffer = (memory as SharedArrayBuffer | undefined) ?? new SharedArrayBuffer(ARENA_BYTES);
  let top = 16;
  const bump = (n: number) => {
    if (top + n * 4 > buffer.byteLength) return new Float32Array(n);
    const view = new Float32Array(buffer, top, n);
    top = (top + n * 4 + 15) & ~15;
    return view;
  };
  return { name, alloc: checked(bump, buffer), sharedMemory: buffer, sharedBuffer: buffer };
}
