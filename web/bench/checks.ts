// web/bench/checks.ts: the same short computations in Node and in the
// browser, so a test can compare them: the WebAssembly gemm against the
// TypeScript one, and one training epoch on each backend and thread count,
// summed up as a fingerprint of the weights' bits.

import { sharedBackend, selectBackend, tsBackend, wasmKernels, type Backend } from '../../src/backend.js';
import { slice, type LabelledImages } from '../../src/data/dataset.js';
import { gemmStrided } from '../../src/kernels/gemm.js';
import { wasmSimdSupported } from '../../src/kernels/wasm.js';
import { Network } from '../../src/nn/network.js';
import { sgd } from '../../src/nn/sgd.js';
import { ThreadedSteps, type SpawnThread } from '../../src/nn/parallel/threads.js';
import { Rng } from '../../src/rng.js';

/** FNV-1a over the bits of every float: equal fingerprints, bit-identical arrays. */
export function fingerprint(a: Float32Array): string {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) {
    let w = bits[i];
    for (let k = 0; k < 4; k++) {
      h = Math.imul(h ^ (w & 0xff), 0x01000193);
      w >>>= 8;
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export interface CheckReport {
  simd: boolean;
  /** Largest |wasm − ts| / (1 + |ts|) over the gemm cases. */
  gemmMaxError: number;
  /** One epoch on 1,000 images: fingerprint of the weights and test hits, per run. */
  runs: Record<'ts' | 'wasm' | 'wasm-2-threads', { fingerprint: string; correct: number }>;
}

function gemmError(rng: Rng): number {
  const k = wasmKernels()!;
  let worst = 0;
  // (m, k, n) and storage orders (r/c) of A, B, C: every code path of the SIMD kernel
  for (const [m, kk, n] of [[30, 784, 10], [10, 30, 10], [30, 10, 784], [7, 5, 13]]) {
    for (const layout of ['rcc', 'crr', 'ccc', 'rrr']) {
      const strides = (ch: string, rows: number, cols: number): [number, number] => (ch === 'r' ? [cols, 1] : [1, rows]);
      const [sAi, sAp] = strides(layout[0], m, kk);
      const [sBp, sBj] = strides(layout[1], kk, n);
      const [sCi, sCj] = strides(layout[2], m, n);
      const a = k.alloc(m * kk);
      const b = k.alloc(kk * n);
      const c = k.alloc(m * n);
      for (let i = 0; i < a.length; i++) a[i] = rng.uniform() - 0.5;
      for (let i = 0; i < b.length; i++) b[i] = rng.uniform() - 0.5;
      const twin = new Float32Array(m * n);
      k.gemm(c, a, b, m, kk, n, sAi, sAp, sBp, sBj, sCi, sCj, false);
      gemmStrided(twin, a, b, m, kk, n, sAi, sAp, sBp, sBj, sCi, sCj, false);
      for (let i = 0; i < twin.length; i++) worst = Math.max(worst, Math.abs(c[i] - twin[i]) / (1 + Math.abs(twin[i])));
    }
  }
  return worst;
}

async function epoch(training: LabelledImages, test: LabelledImages, backend: Backend, T: number, spawn: SpawnThread) {
  const rng = new Rng(5);
  const train = slice(training, 0, 1000);
  const net = Network.random([784, 30, 10], rng, { backend: backend });
  const threads = T > 1 ? await ThreadedSteps.start(net, train, [10], T, spawn) : undefined;
  try {
    const [r] = sgd(net, train, { epochs: 1, miniBatchSize: 10, eta: 3.0, rng, evaluation: slice(test, 0, 1000), threads });
    return { fingerprint: fingerprint(net.params), correct: r.correct! };
  } finally {
    await threads?.close();
  }
}

export async function runChecks(training: LabelledImages, test: LabelledImages, spawn: SpawnThread): Promise<CheckReport> {
  const simd = wasmSimdSupported();
  const wasm = await selectBackend('wasm');
  const gemmMaxError = gemmError(new Rng(3));
  const runs = {
    ts: await epoch(training, test, tsBackend, 1, spawn),
    wasm: await epoch(training, test, wasm, 1, spawn),
    'wasm-2-threads': await epoch(training, test, await sharedBackend('wasm'), 2, spawn),
  };
  await selectBackend('ts');
  return { simd, gemmMaxError, runs };
}
