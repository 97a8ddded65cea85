// scripts/bench.ts: `npm run bench`: how fast the real training step runs.
// For each network and mini-batch size: training samples/s (gather + feedforward
// + backprop + SGD update on real MNIST images, as `npm run train` does),
// achieved GFLOP/s, seconds per 50,000-image epoch, one-image inference
// latency, and peak memory; for each backend and thread count. Several timed
// repeats; median and spread. Evaluation after an epoch is not included.
// A benchmark, not a test: it prints figures and asserts nothing.

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { gatherBatch } from '../src/data/dataset.js';
import { bookSplit, MNIST_CLASSES } from '../src/data/mnist.js';
import { Network } from '../src/nn/network.js';
import { Rng } from '../src/rng.js';
import { availableParallelism } from 'node:os';
import { selectBackend, sharedBackend, type BackendName } from '../src/backend.js';
import { ThreadedSteps } from '../src/nn/threads.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { wasmSimdSupported } from '../src/kernels/wasm.js';
import { intOption, listOption, positiveOption, runMain, UsageError } from '../src/node/cli.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { fmtInt } from '../src/node/progress.js';

const USAGE = `Usage: npm run bench -- [options]

Times the real training step (gather, feedforward, backprop, SGD update) on
MNIST images, and one-image inference.

  --backend ts,wasm    kernel backends to bench (default: both where supported)
  --threads 1,2        thread counts (default: 1 and, with 2 cores or more, 2)
  --hidden 30,100      hidden-layer sizes to bench, one 784-h-10 network each
  --batch-size 10,100  mini-batch sizes
  --repeats 5          timed repeats per case (median and spread are reported)
  --seconds 1          about how long one repeat runs
  --json               machine-readable output
  --help               this text
`;

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

interface CaseResult {
  backend: string;
  threads: number;
  sizes: string;
  miniBatchSize: number;
  flopsPerSample: number;
  samplesPerSecond: { median: number; min: number; max: number };
  gflops: number;
  secondsPerEpoch: number;
  inferenceMicroseconds: { median: number; min: number; max: number };
}

function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      backend: { type: 'string' },
      threads: { type: 'string' },
      hidden: { type: 'string' },
      'batch-size': { type: 'string' },
      repeats: { type: 'string' },
      seconds: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const hidden = values.hidden ? listOption('hidden', values.hidden) : [30, 100];
  const batches = values['batch-size'] ? listOption('batch-size', values['batch-size']) : [10, 100];
  const repeats = values.repeats ? intOption('repeats', values.repeats) : 5;
  const seconds = values.seconds ? positiveOption('seconds', values.seconds) : 1;
  const backends = (values.backend ?? (wasmSimdSupported() ? 'ts,wasm' : 'ts')).split(',') as BackendName[];
  for (const b of backends) {
    if (b !== 'ts' && b !== 'wasm') throw new UsageError(`--backend must list 'ts' and/or 'wasm'; got '${values.backend}'`);
  }
  const threadCounts = values.threads ? listOption('threads', values.threads) : availableParallelism() > 1 ? [1, 2] : [1];
  const say = values.json ? () => {} : (s: string) => process.stdout.write(`${s}\n`);

  const { sets } = await loadMnist();
  const { training, test } = bookSplit(sets);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  say(`digitnet bench: ${cpu}, ${cpus().length} cores, Node ${process.version}`);
  say('FLOP per sample = 2·(2·Σ weights + Σ weights above the first layer): feedforward, BP4, BP2');
  say('');
  say('backend threads  network     batch   samples/s (median, min–max)   GFLOP/s   s/epoch   inference µs');

  const results: CaseResult[] = [];
  for (const backend of backends) {
  await selectBackend(backend);
  for (const T of threadCounts) {
  for (const h of hidden) {
    const sizes = [784, h, MNIST_CLASSES];
    const flops = flopsPerSample(sizes);
    for (const m of batches) {
      const rng = new Rng(1);
      const net = Network.random(sizes, rng, undefined, T > 1 ? await sharedBackend(backend) : undefined);
      const threads = T > 1 ? await ThreadedSteps.start(net, training, [m], T, spawnNodeThread) : null;
      const order = threads?.order ?? new Uint32Array(training.count);
      for (let i = 0; i < order.length; i++) order[i] = i;
      rng.shuffle(order);
      const x = net.input(m);
      const y = net.target(m);
      let cursor = 0;
      // the step of npm run train: gather, feedforward, backprop, update
      const step = () => {
        if (cursor + m > order.length) cursor = 0;
        if (threads) {
          threads.step(cursor, m, 0.1);
        } else {
          gatherBatch(x.data, y.data, MNIST_CLASSES, training, order, cursor, m);
          net.updateMiniBatch(x, y, 0.1);
        }
        cursor += m;
      };
      // warm up (JIT), then size a repeat to about `seconds`
      let steps = 0;
      const warm = performance.now();
      while (performance.now() - warm < 300) {
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
      // one-image inference: copy the pixels in and feed forward
      const pixels = Array.from(test.images.subarray(0, 784), (v) => v / 255);
      const latencies: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const calls = 2000;
        const t0 = performance.now();
        for (let c = 0; c < calls; c++) net.predict(pixels);
        latencies.push(((performance.now() - t0) * 1000) / calls);
      }
      await threads?.close();
      const rate = stats(rates);
      const lat = stats(latencies);
      const result: CaseResult = {
        backend,
        threads: T,
        sizes: sizes.join('-'),
        miniBatchSize: m,
        flopsPerSample: flops,
        samplesPerSecond: rate,
        gflops: (rate.median * flops) / 1e9,
        secondsPerEpoch: 50000 / rate.median,
        inferenceMicroseconds: lat,
      };
      results.push(result);
      say(
        `${result.backend.padEnd(8)} ${String(T).padStart(6)}   ${result.sizes.padEnd(11)} ${String(m).padStart(5)}   ` +
          `${fmtInt(rate.median).padStart(9)} (${fmtInt(rate.min)}–${fmtInt(rate.max)})`.padEnd(30) +
          `${result.gflops.toFixed(2).padStart(8)}  ${result.secondsPerEpoch.toFixed(2).padStart(8)}  ` +
          `${lat.median.toFixed(1).padStart(13)}`,
      );
    }
  }
  }
  }
  const peakMb = process.resourceUsage().maxRSS / 1024;
  say('');
  say(`peak memory ${Math.round(peakMb)} MB (the whole process, MNIST included)`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ cpu, cores: cpus().length, node: process.version, peakMemoryMb: Math.round(peakMb), results }, null, 2)}\n`);
  }
}

void runMain('bench', main);
