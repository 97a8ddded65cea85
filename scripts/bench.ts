// scripts/bench.ts: `npm run bench`: how fast the real training step runs,
// in Node or (--browser) in headless Chromium. For each backend, thread
// count, network and mini-batch size: training samples/s (gather +
// feedforward + backprop + SGD update on real MNIST images, as `npm run
// train` does), achieved GFLOP/s, seconds per 50,000-image epoch (evaluation
// not included), one-image inference latency, and peak memory. Several timed
// repeats; median and spread. A benchmark, not a test: it asserts nothing.

import { availableParallelism, cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_HEADER, benchCase, benchLayers, benchLine, drawingLatency, type BenchCase, type BenchResult, type DrawingLatency } from '../src/bench.js';
import { selectBackend } from '../src/backend.js';
import { describeModel, parseModel } from '../src/nn/model-file.js';
import { PRESETS, isStackPreset } from '../src/nn/presets.js';
import { LayerSpecError, parseLayers } from '../src/nn/layer-spec.js';
import type { BackendName } from '../src/backend.js';
import { bookSplit, MNIST_CLASSES } from '../src/data/mnist.js';
import { wasmSimdSupported } from '../src/kernels/wasm.js';
import { RunError, UsageError, intOption, listOption, parseCommandLine, positiveOption, runMain } from '../src/node/cli.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { runInChromium } from './browser-bench.js';
import { benchPeers, cpuName } from './bench-peers.js';
import { benchKernels } from './bench-kernels.js';
import { benchBusyCore } from './bench-busy.js';

const USAGE = `Usage: npm run bench -- [options]

Times the real training step (gather, feedforward, backprop, SGD update) on
MNIST images, and one-image inference.

  --browser            run in headless Chromium (/usr/bin/chromium) instead of Node
  --layers SPEC        instead: a layer stack's training step (Node), e.g.
                       "conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10",
                       or a chapter-6 preset's name (ch6-conv2, ch6-relu, ch6-dropout, …): its layers
                       and λ, and the seconds per epoch of its training set
  --backend ts,wasm    kernel backends to bench (default: both where supported)
  --threads 1,2        thread counts (default: 1 and, with 2 cores or more, 2)
  --hidden 30,100      hidden-layer sizes to bench, one 784-h-10 network each
  --batch-size 10,100  mini-batch sizes
  --repeats 5          timed repeats per case (median and spread are reported)
  --seconds 1          about how long one repeat runs
  --peers              side by side with numpy and PyTorch training the same networks
                       (interleaved, best of --rounds each; Python with numpy/torch
                       needed, else skipped): the fully-connected nets of --hidden and
                       --batch-size, and ch6-relu's layers (or --layers) at batch 10;
                       and two one-thread digitnet processes at once ('2 procs': what
                       two cores give work that shares nothing, beside 2T/1T)
  --rounds 3           with --peers or --busy-core: rounds per contender
  --busy-core          1 thread against 2 while another process keeps a core busy
                       (the same networks as --peers, in turns, best of --rounds)
  --kernels            each kernel of a step on its own (the gemms of --hidden × --batch-size,
                       ch6-relu's or --layers' convolution and pooling), in GFLOP/s
                       beside the machine's measured 128-bit SIMD peak
  --json               machine-readable output
  --help               this text
`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
      browser: { type: 'boolean' },
      layers: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      hidden: { type: 'string' },
      'batch-size': { type: 'string' },
      repeats: { type: 'string' },
      seconds: { type: 'string' },
      json: { type: 'boolean' },
      peers: { type: 'boolean' },
      'busy-core': { type: 'boolean' },
      kernels: { type: 'boolean' },
      rounds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
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
  const cases: BenchCase[] = [];
  for (const backend of backends) {
    for (const threads of threadCounts) {
      for (const h of hidden) {
        for (const m of batches) cases.push({ backend, threads, sizes: [784, h, MNIST_CLASSES], miniBatchSize: m });
      }
    }
  }
  const say = values.json ? () => {} : (s: string) => process.stdout.write(`${s}\n`);
  const cpu = cpuName();
  if (values.kernels) {
    const named = PRESETS[values.layers ?? 'ch6-relu'];
    const spec = isStackPreset(named) ? named.layers : values.layers!;
    await benchKernels({ hidden, batches, conv: spec, seconds: values.seconds ? seconds : 0.3, repeats, say: (s) => process.stdout.write(`${s}\n`) });
    return;
  }
  if (values.peers || values['busy-core']) {
    const { training } = bookSplit((await loadMnist()).sets);
    const named = PRESETS[values.layers ?? 'ch6-relu'];
    const preset = isStackPreset(named) ? named : undefined;
    const spec = preset?.layers ?? values.layers!;
    try {
      parseLayers(spec);
    } catch (err) {
      if (err instanceof LayerSpecError) throw new UsageError(`--layers: ${(err as Error).message}`);
      throw err;
    }
    const side = {
      training, hidden, batches, rounds: values.rounds ? intOption('rounds', values.rounds, 1, 100) : 3, seconds, say: (s: string) => process.stdout.write(`${s}\n`),
      conv: { spec, lambda: preset?.lambda ?? 0, name: preset?.name ?? 'layers' },
    };
    if (values['busy-core']) await benchBusyCore(side);
    else await benchPeers(side);
    return;
  }
  if (values.layers) {
    const { training } = bookSplit((await loadMnist()).sets);
    const named = PRESETS[values.layers];
    const preset = isStackPreset(named) ? named : undefined;
    const spec = preset?.layers ?? values.layers;
    try {
      parseLayers(spec);
    } catch (err) {
      if (err instanceof LayerSpecError) throw new UsageError(`--layers: ${(err as Error).message}; or a preset: ${Object.keys(PRESETS).filter((k) => isStackPreset(PRESETS[k])).join(', ')}`);
      throw err;
    }
    const images = preset?.expand ? 5 * training.count : training.count;
    const counts = threadCounts;
    say(`digitnet bench, layer stack: ${cpu}, Node ${process.version}`);
    say(preset ? `${preset.name}: "${spec}", λ = ${preset.lambda}, ${images.toLocaleString('en-US')} training images` : `"${spec}"`);
    const out: Record<string, unknown>[] = [];
    for (const backend of backends) {
      for (const threads of counts) for (const m of batches) {
        const r = await benchLayers(spec, backend, m, training, seconds, repeats, preset?.lambda ?? 0, threads, spawnNodeThread);
        out.push({ backend, threads, miniBatchSize: m, samplesPerSecond: r, secondsPerEpoch: images / r.median });
        say(`${backend.padEnd(6)} ${threads} thread${threads === 1 ? ' ' : 's'} batch ${String(m).padStart(4)}: ${Math.round(r.median).toLocaleString('en-US')} samples/s (${Math.round(r.min).toLocaleString('en-US')}–${Math.round(r.max).toLocaleString('en-US')}), ${(images / r.median).toFixed(1)} s per ${images.toLocaleString('en-US')}-image epoch (training steps only)${r.together !== undefined ? `, ${Math.round(100 * r.together)}% of steps on ${threads} threads` : ''}`);
      }
    }
    if (values.json) process.stdout.write(`${JSON.stringify({ cpu, layers: spec, preset: preset?.name ?? null, results: out }, null, 2)}\n`);
    return;
  }

  let results: BenchResult[];
  let where: string;
  let latency: DrawingLatency | null = null;
  let latencyOf = '';
  if (values.browser) {
    say(`digitnet bench in headless Chromium: ${cpu}, ${cpus().length} cores`);
    const run = await runInChromium({ mode: 'bench', cases, repeats, seconds });
    if (run.error) throw new RunError(`the bench page failed: ${run.error}`);
    results = run.results;
    latency = run.latency;
    where = run.userAgent;
    say(`${where}, cross-origin isolated: ${run.isolated}`);
  } else {
    say(`digitnet bench: ${cpu}, ${cpus().length} cores, Node ${process.version}`);
    where = `Node ${process.version}`;
    results = [];
  }
  say('FLOP per sample = 2·(2·Σ weights + Σ weights above the first layer): feedforward, BP4, BP2');
  say('');
  say(BENCH_HEADER);
  if (values.browser) {
    for (const r of results) say(benchLine(r));
  } else {
    const { sets } = await loadMnist();
    const { training, test } = bookSplit(sets);
    for (const c of cases) {
      const r = await benchCase(c, { training, test, repeats, seconds, spawn: spawnNodeThread });
      results.push(r);
      say(benchLine(r));
    }
  }
  if (!values.browser) {
    await selectBackend('auto'); // as the page: WebAssembly SIMD where the engine has it
    const model = join(import.meta.dirname, '..', 'web', 'models', 'default.json');
    const { network } = parseModel(readFileSync(model, 'utf8'), model);
    latencyOf = describeModel(network);
    latency = drawingLatency(network);
  }
  say('');
  if (latency) {
    say(
      `drawing → prediction (the page's work: preprocess the strokes + feedforward, web/models/default.json${latencyOf ? ` ${latencyOf}` : ''}, ${latency.kernels} kernels): ` +
        `median ${latency.median.toFixed(0)} µs (${latency.min.toFixed(0)}–${latency.max.toFixed(0)}) over 50 generated drawings × 20`,
    );
  }
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (!values.browser) say(`peak memory ${peakMb} MB (the whole process, MNIST included)`);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ cpu, cores: cpus().length, where, peakMemoryMb: values.browser ? null : peakMb, results, drawingLatencyMicroseconds: latency }, null, 2)}\n`);
  }
}

void runMain('bench', main);
