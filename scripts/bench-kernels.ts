// scripts/bench-kernels.ts: `npm run bench -- --kernels`: each kernel of a
// training step on its own, in GFLOP/s, beside the machine's 128-bit SIMD peak
// measured by a tight loop of independent f32x4 multiplies and adds (what the
// WebAssembly kernels can use at most). The gemm shapes are those of the
// networks the bench trains, with the storage orders the layers use:
// feedforward W·a, BP4 δ·aᵀ, BP2 Wᵀ·δ; and a convolution's im2col, col2im and
// pooling per mini-batch, and the bias and layout changes around its gemm.
// One thread.

import { selectBackend, wasmKernels } from '../src/backend.js';
import { addBiasMaps, col2im, im2col, mapsToRows, maxPool2Backward, maxPool2Forward } from '../src/tensor/conv-ops.js';
import { Matrix } from '../src/tensor/matrix.js';
import { matmul } from '../src/tensor/ops.js';
import { Rng } from '../src/rng.js';
import { parseLayers } from '../src/nn/layer-spec.js';
import { cpuName } from './bench-peers.js';

/** Best-of-`repeats` seconds per call of fn, each repeat about `seconds` long. */
function timeIt(fn: () => void, seconds: number, repeats: number): number {
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 100) {
    fn();
    calls++;
  }
  const per = Math.max(1, Math.round((calls * seconds * 1000) / (performance.now() - t0)));
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const s = performance.now();
    for (let i = 0; i < per; i++) fn();
    best = Math.min(best, (performance.now() - s) / 1000 / per);
  }
  return best;
}

export async function benchKernels(o: { hidden: number[]; batches: number[]; conv: string; seconds: number; repeats: number; say: (s: string) => void }): Promise<void> {
  const { say } = o;
  await selectBackend('wasm');
  const wasm = wasmKernels();
  if (!wasm) throw new Error('bench --kernels needs the WebAssembly SIMD kernels');
  const alloc = (n: number, rng?: Rng) => {
    const a = wasm.alloc(n);
    if (rng) for (let i = 0; i < n; i++) a[i] = rng.gaussian() * 0.1;
    return a;
  };
  const iterations = 2_000_000;
  const peakSeconds = timeIt(() => wasm.simdPeak(iterations), o.seconds, o.repeats);
  const peak = (56 * iterations) / peakSeconds / 1e9;
  say(`digitnet bench --kernels: ${cpuName()}, Node ${process.version}, one thread, WebAssembly SIMD (128-bit)`);
  say(`SIMD peak: ${peak.toFixed(1)} GFLOP/s (independent f32x4 multiplies and adds, best of ${o.repeats})`);
  say('');
  say(`${'kernel'.padEnd(46)} ${'shape'.padEnd(22)} ${'µs/call'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'of peak'.padStart(8)}`);
  const rng = new Rng(1);
  const line = (name: string, shape: string, seconds: number, flop: number) => {
    const g = flop / seconds / 1e9;
    say(`${name.padEnd(46)} ${shape.padEnd(22)} ${(seconds * 1e6).toFixed(1).padStart(9)} ${flop ? g.toFixed(1).padStart(8) : '–'.padStart(8)} ${flop ? `${Math.round((100 * g) / peak)}%`.padStart(8) : '–'.padStart(8)}`);
  };
  for (const h of o.hidden) {
    for (const m of o.batches) {
      const sizes = [784, h, 10];
      for (let l = 1; l < sizes.length; l++) {
        const [nIn, nOut] = [sizes[l - 1], sizes[l]];
        const w = new Matrix(nOut, nIn, alloc(nOut * nIn, rng));
        const a = new Matrix(nIn, m, alloc(nIn * m, rng), 'col');
        const z = new Matrix(nOut, m, alloc(nOut * m), 'col');
        const d = new Matrix(nOut, m, alloc(nOut * m, rng), 'col');
        const gw = new Matrix(nOut, nIn, alloc(nOut * nIn));
        const dx = new Matrix(nIn, m, alloc(nIn * m), 'col');
        const flop = 2 * nOut * nIn * m;
        const net = `784-${h}-10, m ${m}, layer ${l + 1}`;
        line(`${net}: z = W·a`, `${nOut}×${nIn} · ${nIn}×${m}`, timeIt(() => matmul(z, w, a), o.seconds, o.repeats), flop);
        line(`${net}: ∇W = δ·aᵀ (BP4)`, `${nOut}×${m} · ${m}×${nIn}`, timeIt(() => matmul(gw, d, a, { transB: true }), o.seconds, o.repeats), flop);
        if (l > 1) line(`${net}: Wᵀ·δ (BP2)`, `${nIn}×${nOut} · ${nOut}×${m}`, timeIt(() => matmul(dx, w, d, { transA: true }), o.seconds, o.repeats), flop);
      }
    }
  }
  // the convolutional layers of o.conv at mini-batch 10
  const m = 10;
  const { layers, shapes } = parseLayers(o.conv);
  let input = { c: 1, h: 28, w: 28 };
  layers.forEach((l, i) => {
    const out = shapes[i];
    if (l.kind === 'conv') {
      const { c: C, h: H, w: W } = input;
      const k = l.size;
      const P = out.h * out.w;
      const rows = C * k * k;
      const x = alloc(C * H * W * m, rng);
      const cols = alloc(rows * P * m);
      const w = new Matrix(l.maps, rows, alloc(l.maps * rows, rng));
      const colsM = new Matrix(rows, P * m, cols);
      const z = new Matrix(l.maps, P * m, alloc(l.maps * P * m));
      const dz = new Matrix(l.maps, P * m, alloc(l.maps * P * m, rng));
      const gw = new Matrix(l.maps, rows, alloc(l.maps * rows));
      const flop = 2 * l.maps * rows * P * m;
      const name = `conv ${l.maps} ${k}x${k} on ${C}×${H}×${W}, m ${m}`;
      line(`${name}: im2col`, `${rows}×${P * m}`, timeIt(() => im2col(cols, x, m, C, H, W, k), o.seconds, o.repeats), 0);
      line(`${name}: W·patches`, `${l.maps}×${rows} · ${rows}×${P * m}`, timeIt(() => matmul(z, w, colsM), o.seconds, o.repeats), flop);
      const a = alloc(l.maps * P * m);
      const b = alloc(l.maps, rng);
      line(`${name}: z + b, reorder`, `${l.maps}×${P * m}`, timeIt(() => addBiasMaps(a, z.data, b, l.maps, m, P), o.seconds, o.repeats), 0);
      line(`${name}: ∇b, reorder δ`, `${l.maps}×${P * m}`, timeIt(() => mapsToRows(dz.data, a, b, l.maps, m, P), o.seconds, o.repeats), 0);
      line(`${name}: ∇W = δ·patchesᵀ`, `${l.maps}×${P * m} · ${P * m}×${rows}`, timeIt(() => matmul(gw, dz, colsM, { transB: true }), o.seconds, o.repeats), flop);
      if (i > 0) {
        const dcols = new Matrix(rows, P * m, alloc(rows * P * m));
        line(`${name}: Wᵀ·δ`, `${rows}×${l.maps} · ${l.maps}×${P * m}`, timeIt(() => matmul(dcols, w, dz, { transA: true }), o.seconds, o.repeats), flop);
        const dx = alloc(C * H * W * m);
        line(`${name}: col2im`, `${rows}×${P * m}`, timeIt(() => col2im(dx, dcols.data, m, C, H, W, k), o.seconds, o.repeats), 0);
      }
    } else if (l.kind === 'pool') {
      const { c: C, h: H, w: W } = input;
      const x = alloc(C * H * W * m, rng);
      const y = alloc(out.c * out.h * out.w * m);
      const wf = alloc(y.length);
      const where = new Int32Array(wf.buffer, wf.byteOffset, y.length);
      line(`pool 2 on ${C}×${H}×${W}, m ${m}: forward`, `${C}×${H}×${W}`, timeIt(() => maxPool2Forward(y, where, x, m, C, H, W), o.seconds, o.repeats), 0);
      const dx = alloc(x.length);
      line(`pool 2 on ${C}×${H}×${W}, m ${m}: backward`, `${C}×${H}×${W}`, timeIt(() => maxPool2Backward(dx, y, where, y.length, dx.length), o.seconds, o.repeats), 0);
    }
    input = out;
  });
}
