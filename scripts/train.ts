// scripts/train.ts: `npm run train`: trains the book's network on MNIST,
// shows progress, and saves the model after every epoch (atomically), so an
// interrupted run keeps its last complete epoch and can be resumed exactly.

import { bookSplit, MNIST_CLASSES } from '../src/data/mnist.js';
import { slice, type LabelledImages } from '../src/data/dataset.js';
import { Network } from '../src/nn/network.js';
import type { EpochRecord, TrainingMeta } from '../src/nn/model-file.js';
import { sgd } from '../src/nn/sgd.js';
import { availableParallelism } from 'node:os';
import { Rng } from '../src/rng.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { selectBackend, sharedBackend } from '../src/backend.js';
import { autoThreads, SMALL_STEP } from '../src/nn/parallel/auto.js';
import { ThreadedSteps } from '../src/nn/parallel/threads.js';
import { bookFigure, presetTarget } from '../src/nn/presets.js';
import { LayerStack } from '../src/nn/stack.js';
import { chartSvg, type EpochMetrics } from '../src/plot/chart.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { expandByShifts } from '../src/data/expand.js';
import { withRedrawn } from '../src/data/redrawn.js';
import { AUGMENT_DEFAULTS } from '../src/data/augment.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { loadModelFile, resumeOptimizerState, saveModelFile } from '../src/node/model-io.js';
import { makeOptimizer } from '../src/nn/optimizers/index.js';
import { encodeOptimizerState } from '../src/nn/optimizers/checkpoint.js';
import { parentWatch, RunError, runMain, UsageError } from '../src/node/cli.js';
import { checkOutput, OutputLock, refuseOtherRun, removeStaleTemps } from '../src/node/run-files.js';
import { COSTS, parseTrainOptions, resolveSettings, settingsInName, USAGE } from '../src/node/train-options.js';
import { loadDataset } from '../src/node/mnist-files.js';
import { DownloadProgress } from '../src/node/progress.js';
import { fmtInt, fmtSeconds, Progress } from '../src/node/progress.js';

async function main(): Promise<void> {
  const args = parseTrainOptions(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const log = args.quiet ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  let backend;
  try {
    backend = await selectBackend(args.backend);
  } catch (err) {
    throw new RunError((err as Error).message);
  }

  // A resumed run takes its settings from the file; options given now override them.
  const loaded = args.resume !== undefined ? loadModelFile(args.resume) : null;
  const {
    resumed, resumedStack, meta, anyPreset, stackPreset, preset, layers, sizes, epochs, miniBatchSize, eta, seed, shuffle,
    evalSet, lambda, momentum, optimizer, schedule, dropout, labelSmoothing, expand, augment, cleanEpochs, cleanEta, totalEpochs, redrawn, traceScale, outlineBlobs, init, cost, activation, epochsDone, stackCost,
  } = resolveSettings(args, loaded);
  // --augment: each training image distorted on the fly, by draws from a generator of its own (seeded from the run's seed)
  const augmentation = augment ? { settings: meta?.augment ?? AUGMENT_DEFAULTS, seed: (Math.imul(seed, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 } : undefined;

  // the files this run writes: checked, locked and cleared of a killed run's leftovers before any work
  const stackShape = layers ? new LayerStack(layers, undefined, undefined, { cost: stackCost }) : null;
  const shape = stackShape ? stackShape.spec : sizes.join('-');
  const slug = layers ? shape.replace(/ \d+x\d+/g, '').replace(/,\s*/g, '-').replace(/\s+/g, '') : shape;
  const changed = settingsInName({
    layers: Boolean(layers), preset, stackPreset, cost: (Object.keys(COSTS) as (keyof typeof COSTS)[]).find((k) => COSTS[k] === cost)!, activation: activation.name, init, eta, lambda, momentum, optimizer, schedule, dropout, labelSmoothing,
    miniBatchSize, epochs, trainSize: args.trainSize, expand, augment, cleanEpochs, cleanEta, redrawn, traceScale, outlineBlobs, evalSet, shuffle, dataset: args.dataset.name,
  });
  if (args.dataDir !== undefined) changed.unshift(`data-${basename(resolve(args.dataDir)).replace(/[^\w.-]+/g, '_')}`); // other data, another run
  const out = args.out ?? args.resume ?? `data/models/${[anyPreset?.name, slug, ...changed, `seed${seed}`].filter(Boolean).join('-')}.json`;
  const base = out.replace(/\.json$/, '');
  const metricsPath = `${base}.metrics.json`;
  const chartPath = `${base}.svg`;
  const stateOut = `${base}.optimizer.bin`;
  checkOutput(out, [metricsPath, chartPath, stateOut]);
  OutputLock.take(out); // released at exit; after a kill, the next run finds it stale
  const watch = parentWatch('train');
  const cleared = removeStaleTemps([out, metricsPath, chartPath, stateOut]);
  if (cleared.length) log(`removed ${cleared.length} temporary file${cleared.length === 1 ? '' : 's'} an interrupted run left beside ${out}`);

  const download = new DownloadProgress(process.stderr);
  const data = await loadDataset({
    dataset: args.dataset,
    dataDir: args.dataDir,
    onDownload: () => log(`${args.dataset.title} is not in data/${args.dataset.name}/ yet: downloading it (npm run fetch-data does only that)`),
    fetch: { onProgress: (p) => download.update(p) },
  });
  download.clear();
  const split = bookSplit(data.sets);
  const pixels = split.training.rows * split.training.cols;
  if (!layers && sizes[0] !== pixels) {
    throw new UsageError(`the first layer must have ${pixels} neurons, one per pixel of the ${split.training.rows}×${split.training.cols} images; got --sizes ${sizes.join(',')}`);
  }
  if (!layers && sizes[sizes.length - 1] !== MNIST_CLASSES) {
    throw new UsageError(`the last layer must have ${MNIST_CLASSES} neurons, one per digit; got --sizes ${sizes.join(',')}`);
  }
  const trainSize = args.trainSize ?? meta?.trainSize ?? preset?.trainSize ?? split.training.count;
  // above the book's training images, the validation images follow them (the training file in its order): only while they are not the yardstick
  const asked = args.trainSize !== undefined || meta?.trainSize !== undefined ? `--train-size ${trainSize}` : `--preset ${preset?.name}'s ${fmtInt(trainSize)} training images`;
  if (trainSize > data.sets.train.count) {
    throw new UsageError(`${asked} is more than the ${fmtInt(data.sets.train.count)} images of the training file`);
  }
  if (trainSize > split.training.count && evalSet !== 'test') {
    throw new UsageError(`${asked} would train on validation images (the training file's last ${fmtInt(split.validation.count)}); evaluate on the test set (--eval test) or train on at most ${fmtInt(split.training.count)}`);
  }
  const pool = trainSize > split.training.count ? data.sets.train : split.training;
  const ours = args.resume !== undefined && resolve(args.resume) === resolve(out);
  if (!ours && !args.force && existsSync(out)) {
    refuseOtherRun(out, {
      network: shape, cost: stackShape ? stackShape.costName : cost.name, ...(layers ? {} : { activation: activation.name }), seed, epochs: totalEpochs, miniBatchSize, eta, shuffle, trainSize,
      evaluatedOn: evalSet, init, lambda, momentum, dropout, labelSmoothing, expand, redrawn, traceScale, outlineBlobs, backend: backend.name, optimizer, schedule,
      cleanEpochs, ...(cleanEpochs ? { cleanEta } : {}),
    });
  }
  const redrawStart = performance.now();
  const drawnToo = redrawn ? withRedrawn(slice(pool, 0, trainSize), seed, { scale: traceScale, outline: outlineBlobs }) : slice(pool, 0, trainSize);
  const redrawSeconds = (performance.now() - redrawStart) / 1000;
  const training: LabelledImages = expand ? expandByShifts(drawnToo) : drawnToo;
  const evaluation = evalSet === 'test' ? split.test : split.validation;
  if (evaluation.count === 0) throw new RunError(`the ${evalSet} set is empty; use --eval ${evalSet === 'test' ? 'validation' : 'test'}`);

  const rng = meta && epochsDone > 0 ? Rng.fromState(meta.rngState) : new Rng(seed);
  const cores = availableParallelism();
  // auto: both cores, each step then on both threads or on thread 0 alone where the timed steps show that faster (nn/parallel/pace.ts);
  // one thread for a fully-connected network whose step is too small to share (nn/parallel/auto.ts)
  const fullyConnected = stackShape ? stackShape.fullyConnected : true;
  const params = stackShape ? stackShape.params.length : sizes.slice(1).reduce((s, n, i) => s + (sizes[i] + 1) * n, 0);
  const threadCount = args.threads === 'auto' ? autoThreads(fullyConnected, params, miniBatchSize, cores) : args.threads;
  const small = args.threads === 'auto' && threadCount === 1 && cores > 1;
  let net: Network | LayerStack;
  let threads: ThreadedSteps | undefined;
  try {
    // With threads, the network lives in memory the worker threads share.
    const home = threadCount > 1 ? await sharedBackend(backend.name) : backend;
    if (layers) {
      const stack = new LayerStack(layers, { c: 1, h: split.training.rows, w: split.training.cols }, home, { cost: stackCost });
      if (stack.classes !== MNIST_CLASSES) throw new UsageError(`--layers must end with ${MNIST_CLASSES} outputs, one per digit; got ${stack.classes}`);
      if (resumedStack) {
        stack.params.set(resumedStack.network.params);
        stack.state.set(resumedStack.network.state);
      }
      else stack.init(rng, init === 'network3' || init === 'he' ? init : 'default');
      net = stack;
    } else {
      net = resumed
        ? new Network(sizes, { params: resumed.network.params, cost, activation, backend: home })
        : Network.random(sizes, rng, { backend: home, cost, activation, init: init === 'network3' || init === 'he' ? 'default' : init });
    }
    net.optimizer = makeOptimizer({ name: optimizer, lambda, n: training.count, momentum }); // before the threads start: they copy it
    // the optimizer's state (velocities, Adam's moments, its step count) is part of the run's: kept beside the checkpoint
    if (args.resume && epochsDone > 0) {
      const note = resumeOptimizerState(net.optimizer, `${args.resume.replace(/\.json$/, '')}.optimizer.bin`, net.params.length);
      if (note) log(note);
    }
    const lastBatch = training.count % miniBatchSize;
    if (net instanceof Network) net.dropout = dropout; // before the threads start: they copy it
    net.labelSmoothing = labelSmoothing; // so does this
    threads =
      threadCount > 1
        ? await ThreadedSteps.start(net, training, lastBatch ? [miniBatchSize, lastBatch] : [miniBatchSize], threadCount, spawnNodeThread, evaluation, { augment: augmentation, waitForWorkers: false })
        : undefined;
  } catch (err) {
    // the workspaces of a large network × mini-batch × threads may not fit: say which options to lower
    if (!(err instanceof RangeError)) throw err;
    throw new UsageError(
      `this network with mini-batch ${miniBatchSize} on ${threadCount} thread${threadCount === 1 ? '' : 's'} needs more memory than can be had ` +
        `(${err.message}); try a smaller --batch-size, fewer --threads or a smaller network`,
    );
  }
  const history: EpochRecord[] = meta ? [...meta.history] : [];
  // the curves: <model>.metrics.json and <model>.svg, next to the model
  const curves: (EpochMetrics & { eta: number; seconds: number })[] = [];
  if ((resumed || resumedStack) && existsSync(metricsPath)) {
    try {
      curves.push(...(JSON.parse(readFileSync(metricsPath, 'utf8')).epochs ?? []).filter((e: EpochMetrics) => e.epoch <= epochsDone));
    } catch {
      // a damaged metrics file only loses the earlier curve
    }
  }

  log(`data: ${args.dataset.title} from ${data.source}: ${split.note}; loaded in ${data.seconds.toFixed(2)} s`);
  if (trainSize < split.training.count) log(`training on the first ${fmtInt(trainSize)} training images (--train-size)`);
  if (trainSize > split.training.count) log(`training on the first ${fmtInt(trainSize)} images of the training file, ${fmtInt(trainSize - split.training.count)} validation images among them (--train-size; evaluated on test)`);
  if (redrawn) log(`redrawn: each training image also as a hand would draw it on the page (thinned${traceScale > 1 ? ` enlarged ${traceScale}×` : ''}${outlineBlobs ? ', filled loops by their outline' : ''}, traced, redrawn, preprocessed), ${fmtInt(drawnToo.count)} images; made in ${redrawSeconds.toFixed(1)} s`);
  if (expand) log(`expanded: each training image and its four one-pixel shifts, ${fmtInt(training.count)} images`);
  if (augmentation) {
    const a = augmentation.settings;
    log(`augmented: each training image distorted anew each epoch: turned up to ±${a.rotate}°, sized 1 ± ${a.scale}, sheared up to ±${a.shear}, shifted up to ±${a.shift} px, an elastic field of ${a.elastic} px, a pen half a pixel wider or narrower for ${Math.round(100 * a.width)}%`);
  }
  if (cleanEpochs) {
    const which = cleanEpochs === 1 ? `epoch ${totalEpochs}` : `epochs ${epochs + 1}–${totalEpochs}`;
    const before = epochs === 1 ? 'epoch 1' : `epochs 1–${epochs}`;
    log(`clean: ${which} on the images as they are, ${net.optimizer.label} afresh, η from ${cleanEta} down to 0 on a cosine${schedule !== 'constant' ? `; the ${schedule} schedule runs over ${before}` : ''}`);
  }
  if (anyPreset) log(`preset ${anyPreset.name}: ${anyPreset.about}; ${presetTarget(anyPreset)}`);
  const extras = [
    lambda ? `λ = ${lambda}` : '', labelSmoothing ? `labels smoothed by ε = ${labelSmoothing}` : '', momentum ? `μ = ${momentum}` : '', dropout ? `dropout ${dropout}` : '',
    optimizer !== 'sgd' && optimizer !== 'momentum' ? optimizer : '', schedule !== 'constant' ? `${schedule} schedule` : '',
    args.etaSchedule ? `η halved after ${args.etaSchedule} epochs without progress` : '',
    args.earlyStop ? `early stop after ${args.earlyStop}` : '',
  ].filter(Boolean);
  const what = net instanceof Network
    ? `network ${sizes.join('-')} (${activation.name} hidden, ${net.output} output, ${net.cost.name}, ${init} init)`
    : `layers ${net.spec} (${fmtInt(net.params.length)} parameters, ${net.costName}, ${init} init)`;
  log(
    `${what}, ` +
      `SGD: ${epochs} epoch${epochs === 1 ? '' : 's'}${cleanEpochs ? ` and ${cleanEpochs} clean` : ''}, mini-batch ${miniBatchSize}, η = ${eta}${extras.length ? `, ${extras.join(', ')}` : ''}, ` +
      `seed ${seed}${shuffle ? '' : ', no shuffle'}; evaluating on ${fmtInt(evaluation.count)} ${evalSet} images; ` +
      `${backend.name} kernels, ${threadCount} thread${threadCount === 1 ? '' : 's'}` +
      (threadCount > 1 ? ' (a step runs on thread 0 alone where that is faster, timed as the run goes)' : '') +
      (small ? ` (--threads auto: a step, about ${fmtInt(params * miniBatchSize)} multiply-adds, is too small to share; two threads pay from about ${fmtInt(SMALL_STEP)})` : ''),
  );
  if (resumed || resumedStack) log(`resuming ${args.resume} after epoch ${epochsDone}`);

  const trace = args.debugShapes
    ? (line: string) => process.stdout.write(`  ${line}\n`)
    : undefined;
  if (trace) {
    log(net instanceof Network
      ? 'shapes of the first mini-batch (the book\'s numbering: layer 1 is the input, W² and b² feed layer 2):'
      : 'shapes of the first mini-batch, layer by layer (per sample; m samples flow together), forward then backward:');
  }

  const progress = new Progress(process.stderr, totalEpochs);
  let lastSaved: { epoch: number; path: string } | null = null;
  let diverged: number | null = null;
  const started = performance.now();

  progress.startEpoch();
  let results;
  try {
  results = sgd(net, training, {
    epochs: totalEpochs,
    miniBatchSize,
    eta,
    rng,
    shuffle,
    firstEpoch: epochsDone + 1,
    evaluation,
    trace,
    threads,
    augment: augmentation,
    clean: cleanEpochs ? { epochs: cleanEpochs, eta: cleanEta } : undefined,
    lambda,
    momentum,
    optimizer: { name: optimizer },
    schedule,
    dropout,
    labelSmoothing,
    etaSchedule: args.etaSchedule,
    earlyStop: args.earlyStop,
    monitor: {
      trainCost: args.monitor.includes('train-cost'),
      trainAccuracy: args.monitor.includes('train-acc'),
      evalCost: args.monitor.includes('eval-cost'),
    },
    onProgress: (epoch, done, total) => {
      watch();
      if (!args.quiet) progress.update(epoch, done, total);
    },
    onEpoch: (r) => {
      progress.clear();
      if (!r.finite) {
        diverged = r.epoch;
        return false;
      }
      const record: EpochRecord = { epoch: r.epoch, correct: r.correct!, total: r.total! };
      history.push(record);
      const best = bestOf(history);
      const trainingMeta: TrainingMeta = {
        seed, epochs: totalEpochs, epochsCompleted: r.epoch, miniBatchSize, eta, shuffle, trainSize,
        evaluatedOn: evalSet, history, best, rngState: rng.state(), data: data.source, backend: backend.name,
        init, lambda, momentum, ...(optimizer !== 'sgd' && optimizer !== 'momentum' ? { optimizer } : {}), ...(schedule !== 'constant' ? { schedule } : {}),
        dropout, ...(labelSmoothing ? { labelSmoothing } : {}), expand, ...(redrawn ? { redrawn } : {}), ...(traceScale > 1 ? { traceScale } : {}), ...(outlineBlobs ? { outlineBlobs } : {}), ...(augmentation ? { augment: augmentation.settings } : {}), ...(cleanEpochs ? { cleanEpochs, cleanEta } : {}), ...(anyPreset ?? meta?.preset ? { preset: anyPreset?.name ?? meta!.preset } : {}),
      };
      saveModelFile(out, net, trainingMeta);
      if (net.optimizer.stateNames.length) writeFileAtomic(stateOut, encodeOptimizerState(net.optimizer, net.params.length));
      lastSaved = { epoch: r.epoch, path: out };
      const point = {
        epoch: r.epoch, eta: r.eta, seconds: r.seconds, evalAccuracy: record.correct / record.total,
        ...(r.trainCost !== undefined ? { trainCost: r.trainCost } : {}),
        ...(r.trainCorrect !== undefined ? { trainAccuracy: r.trainCorrect / training.count } : {}),
        ...(r.evalCost !== undefined ? { evalCost: r.evalCost } : {}),
      };
      curves.push(point);
      const label = anyPreset?.name ?? basename(base);
      const settings = net instanceof Network
        ? { sizes, cost: net.cost.name, activation: activation.name, init, eta, lambda, momentum, optimizer, schedule, miniBatchSize, seed, ...(labelSmoothing ? { labelSmoothing } : {}) }
        : { layers: net.spec, cost: net.costName, eta, lambda, momentum, optimizer, schedule, miniBatchSize, seed, expand, ...(labelSmoothing ? { labelSmoothing } : {}), ...(cleanEpochs ? { cleanEpochs, cleanEta } : {}) };
      writeFileAtomic(metricsPath, `${JSON.stringify({ run: label, evalSet, settings, epochs: curves }, null, 1)}\n`);
      const costName = net instanceof Network ? net.cost.name : net.costName;
      writeFileAtomic(chartPath, chartSvg([{ label, epochs: curves }], `${label}: ${net instanceof Network ? shape : 'layer stack'}, ${costName}, η = ${eta}${lambda ? `, λ = ${lambda}` : ''}`));
      const more = [
        r.trainCost !== undefined ? `train cost ${r.trainCost.toFixed(4)}` : '',
        r.trainCorrect !== undefined ? `train ${((100 * r.trainCorrect) / training.count).toFixed(2)}%` : '',
        r.evalCost !== undefined ? `${evalSet} cost ${r.evalCost.toFixed(4)}` : '',
        args.etaSchedule ? `η = ${r.eta}` : '',
      ].filter(Boolean);
      const clean = r.epoch > epochs ? ' (clean)' : '';
      log(`Epoch ${r.epoch}/${totalEpochs}${clean}: ${fmtInt(record.correct)} / ${fmtInt(record.total)} (${pct(record)})  ${fmtSeconds(r.seconds)}${more.length ? `  ${more.join(', ')}` : ''}`);
      if (r.stopped) log(`stopping: ${r.stopped}`);
      progress.startEpoch();
    },
  });
  } finally {
    await threads?.close();
  }

  const saved = lastSaved as { epoch: number; path: string } | null;
  if (diverged !== null) {
    const kept = saved
      ? `The last good model, after epoch ${saved.epoch}, is in ${saved.path}`
      : epochsDone > 0 ? `${args.resume} is unchanged` : 'Nothing was saved';
    throw new RunError(`training diverged in epoch ${diverged}: weights became NaN or infinite; try a smaller --eta than ${eta}. ${kept}.`);
  }
  const best = bestOf(history);
  const total = (performance.now() - started) / 1000;
  const ran = threads?.stepsRun();
  const perEpoch = results.length ? results.reduce((s, r) => s + r.seconds, 0) / results.length : 0;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const summary = [
    best
      ? `best: epoch ${best.epoch}, ${fmtInt(best.correct)} / ${fmtInt(best.total)} (${pct(best)}) on ${evalSet}` +
        (anyPreset?.book ? `; the book: ${bookFigure(anyPreset)} on ${anyPreset.book.on}` : anyPreset ? `; the preset aims for ${anyPreset.aim}` : '')
      : null,
    `${results.length} epoch${results.length === 1 ? '' : 's'} in ${fmtSeconds(total)} (${perEpoch.toFixed(2)} s/epoch), peak memory ${Math.round(peakMb)} MB`,
    ran && ran.together + ran.alone + ran.starting > 0 ? threadsLine(ran, threadCount) : null,
    saved ? `saved the model after epoch ${saved.epoch} to ${saved.path}` : null,
    saved ? `curves: ${metricsPath} and ${chartPath} (open it in a browser)` : null,
  ].filter(Boolean);
  if (best && best.correct / best.total < 1.5 / MNIST_CLASSES) {
    summary.push(`hint: accuracy stayed near chance (${pct(best)}); the neurons may be saturated: try a smaller --eta than ${eta} (the book uses 3.0)`);
  }
  process.stdout.write(`${summary.join('\n')}\n`);
}

function bestOf(history: EpochRecord[]): EpochRecord | null {
  let best: EpochRecord | null = null;
  for (const h of history) if (!best || h.correct > best.correct) best = h;
  return best;
}

/** Which way the steps ran: on every thread, on thread 0 alone as the pace chose, or on thread 0 while the workers started. */
function threadsLine(ran: { together: number; alone: number; starting: number }, T: number): string {
  const all = ran.together + ran.alone + ran.starting;
  const starting = ran.starting > 0 ? `, ${fmtShare(ran.starting, all)} on thread 0 before the other thread${T > 2 ? 's were' : ' was'} ready` : '';
  return `threads: ${fmtShare(ran.together, all)} of the steps ran on ${T} threads, ${fmtShare(ran.alone, all)} on thread 0 alone (faster then)${starting}`;
}

/** A share as a percentage, with no 0% or 100% for a share that is neither. */
function fmtShare(part: number, whole: number): string {
  const p = (100 * part) / whole;
  return `${part > 0 && p < 1 ? '<1' : part < whole && p > 99 ? '>99' : Math.round(p)}%`;
}

function pct(r: EpochRecord): string {
  return `${((100 * r.correct) / r.total).toFixed(2)}%`;
}

void runMain('train', main);
