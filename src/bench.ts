// bench.ts: timing the real training step, the same code in Node and in
// the browser (scripts/bench.ts prints it; web/bench runs it in Chromium).
// A case: one backend, thread count, network and mini-batch size; it runs
// the step of `npm run train` (gather, feedforward, backprop, update) on
// MNIST images for several timed repeats, then one-image inference.

import { makeOptimizer } from './nn/optimizers/index.js';
import { gatherBatch, type LabelledImages } from './data/dataset.js';
import { selectBackend, sharedBackend, wasmKernels, type BackendName } from './backend.js';
import { Network } from './nn/network.js';
import { LayerStack } from './nn/stack.js';
import { ThreadedSteps, type SpawnThread } from './nn/parallel/threads.js';
import { Rng } from './rng.js';
import { strokesToInput } from './draw/preprocess.js';
import { digitStrokes, variant } from './draw/handwriting.js';

/** Multiply-adds count 2 FLOP. Per sample: feedforward w·a (all layers), BP4 δ·aᵀ (all layers), BP2 wᵀ·δ (all but the first). */
export function flopsPerSample(sizes: readonly number[]): number {
  let weights = 0;
  let bp2 = 0;
  for (let l = 1; l < sizes.length; l++) {
    weights += sizes[l] * sizes[l - 1];
    if (l > 1) bp2 += sizes[l] * sizes[l - 1];
  }
  return 2 * (2 * weights + bp2);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** On threads: the share of the steps that ran on every thread (the rest on thread 0 alone, nn/parallel/pace.ts). */
  together?: number;
}

export interface BenchCase {
  backend: BackendName;
  threads: number;
  sizes: number[];
  miniBatchSize: number;
}

export interface BenchResult extends BenchCase {
  flopsPerSample: number;
  samplesPerSecond: Spread;
  gflops: number;
  secondsPerEpoch: number;
  inferenceMicroseconds: Spread;
}

export function spread(values: number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

/**
 * Samples per second of `step` (m samples each): warm up for 0.3 s (the JIT; less for a shorter repeat),
 * size a repeat to about `seconds`, then time `repeats` of them.
 */
function timeSteps(step: () => void, m: number, seconds: number, repeats: number): Spread {
  let steps = 0;
  const warm = performance.now();
  const warmMs = Math.min(300, seconds * 1000);
  while (performance.now() - warm < warmMs) {
    step();
    steps++;
  }
  const perRepeat = Math.max(1, Math.round((steps * seconds * 1000) / (performance.now() - warm)));
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let s = 0; s < perRepeat; s++) step();
    rates.push((perRepeat * m) / ((performance.now() - t0) / 1000));
  }
  return spread(rates);
}

export interface BenchOptions {
  training: LabelledImages;
  test: LabelledImages;
  repeats: number;
  /** About how long one timed repeat runs. */
  seconds: number;
  /** Makes worker threads, for cases with threads > 1. */
  spawn?: SpawnThread;
}

export async function benchCase(c: BenchCase, o: BenchOptions): Promise<BenchResult> {
  const { training, test, repeats, seconds } = o;
  await selectBackend(c.backend);
  const rng = new Rng(1);
  const net = Network.random(c.sizes, rng, { backend: c.threads > 1 ? await sharedBackend(c.backend) : undefined });
  const rate = await timeTraining(net, training, c.miniBatchSize, 0.1, seconds, repeats, c.threads, o.spawn, rng);
  // one-image inference: copy the pixels in and feed forward
  const pixels = Array.from(test.images.subarray(0, test.rows * test.cols), (v) => v / 255);
  const latencies: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const calls = 2000;
    const t0 = performance.now();
    for (let k = 0; k < calls; k++) net.predict(pixels);
    latencies.push(((performance.now() - t0) * 1000) / calls);
  }
  const flops = flopsPerSample(c.sizes);
  return {
    ...c,
    flopsPerSample: flops,
    samplesPerSecond: rate,
    gflops: (rate.median * flops) / 1e9,
    secondsPerEpoch: 50000 / rate.median,
    inferenceMicroseconds: spread(latencies),
  };
}

/** Samples per second of one timed repeat (after a warm-up) of a fully-connected case's training step: for interleaving with other programs. */
export async function trainingRate(c: BenchCase, training: LabelledImages, seconds: number, spawn?: SpawnThread): Promise<number> {
  await selectBackend(c.backend);
  const rng = new Rng(1);
  const net = Network.random(c.sizes, rng, { backend: c.threads > 1 ? await sharedBackend(c.backend) : undefined });
  return (await timeTraining(net, training, c.miniBatchSize, 0.1, seconds, 1, c.threads, spawn, rng)).median;
}

/**
 * Samples per second of the step `npm run train` makes (gather, feedforward,
 * backprop, update with the net's rule) on mini-batches of m from `training`
 * (in an order shuffled by `shuffle`, if given), on `threads` threads.
 */
async function timeTraining(
  net: LayerStack, training: LabelledImages, m: number, eta: number, seconds: number, repeats: number,
  threads: number, spawn: SpawnThread | undefined, shuffle: Rng | null,
): Promise<Spread> {
  if (threads > 1 && !spawn) throw new Error('bench: threads need a way to spawn them');
  const steps = threads > 1 ? await ThreadedSteps.start(net, training, [m], threads, spawn!) : null;
  try {
    const order = steps?.order ?? new Uint32Array(training.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    shuffle?.shuffle(order);
    const x = net.input(m);
    const y = net.target(m);
    let cursor = 0;
    const step = () => {
      if (cursor + m > order.length) cursor = 0;
      if (steps) {
        steps.step(cursor, m, eta, net.dropoutRng);
      } else {
        gatherBatch(x.data, y.data, net.classes, training, order, cursor, m);
        net.updateMiniBatch(x, y, eta);
      }
      cursor += m;
    };
    const rate = timeSteps(step, m, seconds, repeats);
    const ran = steps?.stepsRun();
    return ran ? { ...rate, together: ran.together / (ran.together + ran.alone) } : rate;
  } finally {
    await steps?.close();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export const BENCH_HEADER = 'backend threads  network     batch   samples/s (median, min–max)   GFLOP/s   s/epoch   inference µs';

/** One aligned line of the bench table. */
export function benchLine(r: BenchResult): string {
  const rate = r.samplesPerSecond;
  return (
    `${r.backend.padEnd(8)} ${String(r.threads).padStart(6)}   ${r.sizes.join('-').padEnd(11)} ${String(r.miniBatchSize).padStart(5)}   ` +
    `${fmt(rate.median).padStart(9)} (${fmt(rate.min)}–${fmt(rate.max)})`.padEnd(30) +
    `${r.gflops.toFixed(2).padStart(8)}  ${r.secondsPerEpoch.toFixed(2).padStart(8)}  ` +
    `${r.inferenceMicroseconds.median.toFixed(1).padStart(13)}` +
    (rate.together !== undefined ? `   ${Math.round(100 * rate.together)}% of steps on ${r.threads} threads` : '')
  );
}

/** Microseconds per drawing, and the kernels the forward pass ran on. */
export type DrawingLatency = Spread & { kernels: BackendName };

/**
 * What a drawing costs the page: preprocessing its strokes and one forward
 * pass, for 50 generated drawings (5 of each digit on a 320-pixel pad), each
 * timed `repeats` times; microseconds per drawing.
 */
export function drawingLatency(net: Network | LayerStack, repeats = 20): DrawingLatency {
  const drawings = [];
  for (let d = 0; d < 10; d++) for (let k = 0; k < 5; k++) drawings.push(digitStrokes(d, variant(k, 320, d * 10 + k)));
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const strokes of drawings) {
      const t0 = performance.now();
      const input = strokesToInput(strokes)!;
      net.predict(input);
      times.push((performance.now() - t0) * 1000);
    }
  }
  // the kernels a matmul runs on are decided by where its arrays live (tensor/ops.ts)
  return { ...spread(times), kernels: wasmKernels()?.owns(net.params) ? 'wasm' : 'ts' };
}

/**
 * Samples per second of a layer stack's training step (gather, forward,
 * backprop, the update with `lambda` as npm run train makes it) on MNIST
 * images, on `threads` threads: the convolutional networks' speed.
 */
export async function benchLayers(
  spec: string, backend: BackendName, m: number, training: LabelledImages, seconds: number, repeats: number,
  lambda = 0, threads = 1, spawn?: SpawnThread,
): Promise<Spread> {
  await selectBackend(backend);
  const net = new LayerStack(spec, undefined, threads > 1 ? await sharedBackend(backend) : undefined);
  const rng = new Rng(1);
  net.init(rng);
  net.optimizer = makeOptimizer({ lambda, n: training.count });
  net.dropoutRng = rng;
  return timeTraining(net, training, m, 0.01, seconds, repeats, threads, spawn, null);
}
