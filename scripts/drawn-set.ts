// scripts/drawn-set.ts: `npm run drawn-set`: writes a set of drawn digits
// (strokes on a 320-pixel pad, as the page records them) for
// `npm run evaluate -- --drawn FILE`. None of them is trained on:
//   mnist-test  MNIST's test images, each thinned to a skeleton and traced
//               into strokes (draw/skeleton.ts), then redrawn at another size,
//               place, lean, turn and width, with a pointer's sampling and a
//               hand's tremor (draw/redraw.ts); the writers' own shapes;
//   mnist-validation  the same from the book's validation images (the last
//               10,000 of the training file), for choosing settings without
//               the test set: unseen by a model trained on the first 50,000;
//   templates   the 50 digits the page's end-to-end test draws (five of each,
//               from draw/handwriting.ts's templates).

import { join } from 'node:path';
import { bookSplit } from '../src/data/mnist.js';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { redrawImage, REDRAW_PAD } from '../src/draw/redraw.js';
import { strokeSetText, type DrawnDigit } from '../src/draw/stroke-set.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { intOption, parseCommandLine, runMain, UsageError } from '../src/node/cli.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { fmtInt } from '../src/node/progress.js';
import { Rng } from '../src/rng.js';

const PAD = REDRAW_PAD;

const USAGE = `Usage: npm run drawn-set -- [options]

Writes a set of drawn digits (their strokes, as the page records them) that
no model trains on (the validation images: none trained on the first 50,000),
for npm run evaluate -- --model FILE --drawn SET.

  --from mnist-test  'mnist-test': MNIST test images traced into strokes and redrawn
                     (another size, place, lean, turn and width; a pointer's sampling,
                     a hand's tremor); 'mnist-validation': the same from the book's
                     validation images (the training file's last 10,000), to choose
                     settings on without the test set (a model trained with
                     --train-size 60000 has seen them); 'templates': the 50 digits
                     of the page's end-to-end test
  --count 1000       how many (the first N images of the set, at most 10,000)
  --seed 1           seeds the redrawing; the same seed gives the same file
  --trace-scale 1    mnist-*: thin and trace each image enlarged this many times
                     (1 to 8): 4 keeps short stubs and gaps a 28-pixel thinning
                     loses (a 4's crossbar end), so fewer drawings change digit
  --outline-blobs    mnist-*: trace a blob of ink (a loop the writer filled in)
                     by its outline, so a heavy 6 or 8 keeps its loop instead of
                     thinning to a line
  --out FILE         default: data/drawn/<from>.json
  --help             this text
`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    from: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    'trace-scale': { type: 'string' },
    'outline-blobs': { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const from = values.from ?? 'mnist-test';
  if (from !== 'mnist-test' && from !== 'mnist-validation' && from !== 'templates') {
    throw new UsageError(`--from must be 'mnist-test', 'mnist-validation' or 'templates'; got '${from}'`);
  }
  if (from === 'templates' && (values.count !== undefined || values.seed !== undefined || values['trace-scale'] !== undefined || values['outline-blobs'])) {
    throw new UsageError('--from templates is the page test\'s 50 digits: it takes no --count, --seed, --trace-scale or --outline-blobs');
  }
  const seed = values.seed === undefined ? 1 : intOption('seed', values.seed, 0);
  const traceScale = values['trace-scale'] === undefined ? 1 : intOption('trace-scale', values['trace-scale'], 1, 8);
  const outline = values['outline-blobs'] === true;
  const out = values.out ?? join(import.meta.dirname, '..', 'data', 'drawn', `${from}.json`);
  const digits: DrawnDigit[] = [];
  let source: string;
  if (from === 'templates') {
    for (let d = 0; d < 10; d++) for (let k = 0; k < 5; k++) digits.push({ label: d, strokes: digitStrokes(d, variant(k, PAD, d * 10 + k)) });
    source = 'the page end-to-end test\'s digits: draw/handwriting.ts templates, variants 0-4 on a 320-pixel pad';
  } else {
    const split = bookSplit((await loadMnist()).sets);
    const validation = from === 'mnist-validation';
    const images = validation ? split.validation : split.test;
    const count = values.count === undefined ? 1000 : intOption('count', values.count, 1, images.count);
    const pixels = images.rows * images.cols;
    for (let i = 0; i < count; i++) {
      const strokes = redrawImage(images.images.subarray(i * pixels, (i + 1) * pixels), images.cols, images.rows, new Rng(seed * 100_003 + i), PAD, { scale: traceScale, outline });
      if (strokes.length) digits.push({ label: images.labels[i], strokes });
    }
    const scaled = (traceScale > 1 ? ` --trace-scale ${traceScale}` : '') + (outline ? ' --outline-blobs' : '');
    const which = validation ? `MNIST validation images 0-${count - 1} (training file ${split.training.count}-${split.training.count + count - 1})` : `MNIST test images 0-${count - 1}`;
    const flags = `${validation ? ' --from mnist-validation' : ''} --count ${count} --seed ${seed}${scaled}`;
    source = `${which} thinned, traced and redrawn on a 320-pixel pad (npm run drawn-set --${flags})`;
  }
  writeFileAtomic(out, strokeSetText({ source, pad: PAD, digits }));
  process.stdout.write(`wrote ${fmtInt(digits.length)} drawn digits to ${out}\n`);
}

void runMain('drawn-set', main);
