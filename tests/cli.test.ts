// The command-line scripts as a user runs them: exit codes and one-line
// messages for bad input, checkpoints, resume, determinism, evaluation.
// Runs on small synthetic MNIST-layout folders, so it is quick and offline.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomImages, writeMnistDir } from './fixtures.js';
import { digitGrid } from '../src/plot/digit-grid.js';
import { selectBackend } from '../src/backend.js';
import { bookSplit } from '../src/data/mnist.js';
import { TTA_VIEWS, viewSet } from '../src/data/views.js';
import { combineViews, vote } from '../src/nn/ensemble.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { loadModelFile } from '../src/node/model-io.js';
import { LayerStack } from '../src/nn/stack.js';
import { serializeModel } from '../src/nn/model-file.js';
import { reluActivity } from '../src/nn/activity.js';
import { Rng } from '../src/rng.js';

const root = mkdtempSync(join(tmpdir(), 'digitnet-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// 120 training images (100 training + 20 validation) and 30 test images of 28×28
const dataDir = join(root, 'mnist');
writeMnistDir(dataDir, randomImages(1, 120), randomImages(2, 30));
const gzDir = join(root, 'mnist-gz');
writeMnistDir(gzDir, randomImages(1, 120), randomImages(2, 30), true);

function run(script: 'train' | 'evaluate' | 'plot' | 'bench' | 'start' | 'drawn-set', args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const quick = (out: string, ...more: string[]) => ['--data-dir', dataDir, '--epochs', '2', '--out', out, ...more];

describe('train: bad command lines exit 2 with one line and a hint, no stack trace', () => {
  const cases: [string[], string][] = [
    [['--epochs', '0'], "train: --epochs must be an integer from 1 to 100000; got '0'"],
    [['--redrawn', '--dataset', 'fashion'], 'train: --redrawn redraws digits as a hand draws them on the page; it goes with MNIST, not --dataset fashion'],
    [['--trace-scale', '4'], 'train: --trace-scale says how --redrawn traces each training image; add --redrawn'],
    [['--redrawn', '--trace-scale', '9'], "train: --trace-scale must be an integer from 1 to 8; got '9'"],
    [['--outline-blobs'], 'train: --outline-blobs says how --redrawn traces each training image; add --redrawn'],
    [['--label-smoothing', '0.1'], "train: --label-smoothing smooths the targets of a softmax output layer; this network's output is a sigmoid (use --output softmax)"],
    [['--label-smoothing', '1.5'], "train: --label-smoothing must be less than 1 (1 would leave no trace of the label); got '1.5'"],
    [['--epochs', 'ten'], "train: --epochs must be an integer from 1 to 100000; got 'ten'"],
    [['--epochs', '-1'], "train: --epochs must be an integer from 1 to 100000; got '-1'"],
    [['--epochs', '1e12'], "train: --epochs must be an integer from 1 to 100000; got '1e12'"],
    [['--batch-size=-5'], "train: --batch-size must be an integer from 1 to 60000; got '-5'"],
    [['--batch-size', '-5'], "train: --batch-size must be an integer from 1 to 60000; got '-5'"],
    [['--batch-size', '1e9'], "train: --batch-size must be an integer from 1 to 60000; got '1e9'"],
    [['--epochs'], 'train: --epochs needs a value, e.g. --epochs VALUE'],
    [['--epochs', '--quiet'], "train: --epochs needs a value; for a value that starts with '-', write --epochs=VALUE"],
    [['--hidden', '1e7'], 'train: --hidden: sizes[1] must be an integer from 1 to 1048576; got 10000000'],
    [['--sizes', '784,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,3000,10'], 'train: --sizes: sizes 784-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-3000-10 need 137430010 parameters, more than the 134217728 allowed'],
    [['--layers', 'fc 100000000, softmax 10'], "train: --layers: layer 1 'fc 100000000': 100,000,000 values per image, more than the 1,048,576 a layer may have"],
    [['--out', ''], 'train: --out must name a file, e.g. --out data/models/mine.json'],
    [['--out', '/dev/null'], 'train: --out /dev/null is a device; refusing to replace it: pass a path for a new file or a model file'],
    [['--out', 'OUTDIR/'], 'train: --out OUTDIR/ names a folder; give a file name, e.g. OUTDIR/mine.json'],
    [['--out', 'OUTDIR'], 'train: --out OUTDIR is a folder; refusing to replace it: pass a path for a new file or a model file'],
    [['--eta', '0'], "train: --eta must be a positive number; got '0'"],
    [['--eta', 'fast'], "train: --eta must be a positive number; got 'fast'"],
    [['--seed=-1'], "train: --seed must be an integer from 0 to 4294967295; got '-1'"],
    [['--bogus'], "train: unknown option '--bogus'"],
    [['extra'], "train: unexpected argument 'extra'"],
    [['--eval', 'train'], "train: --eval must be 'test' or 'validation'; got 'train'"],
    [['--sizes', '784,x,10'], "train: --sizes must be positive integers separated by commas, e.g. 784,30,10; got '784,x,10'"],
    [['--sizes', '100,30,10', '--data-dir', 'DATA'], 'train: the first layer must have 784 neurons, one per pixel of the 28×28 images; got --sizes 100,30,10'],
    [['--sizes', '784,30,9', '--data-dir', 'DATA'], 'train: the last layer must have 10 neurons, one per digit; got --sizes 784,30,9'],
    [['--sizes', '784,10', '--hidden', '30'], 'train: give --sizes or --hidden, not both'],
    [['--backend', 'gpu'], "train: --backend must be 'auto', 'ts' or 'wasm'; got 'gpu'"],
    [['--threads', '0'], "train: --threads must be an integer from 1 to 64; got '0'"],
    [['--threads', '99'], "train: --threads must be an integer from 1 to 64; got '99'"],
    [['--threads', '64', '--hidden', '12000', '--batch-size', '100', '--data-dir', 'DATA', '--out', 'OUTDIR/t64.json'], 'train: this network with mini-batch 100 on 64 threads needs more memory than can be had (threads: the shared memory (1024 MiB) is full; train this network with one thread); try a smaller --batch-size, fewer --threads or a smaller network'],
    [['--dataset', 'kmnist'], "train: --dataset must be 'mnist' or 'fashion'; got 'kmnist'"],
    [['--cost', 'log-likelihood', '--output', 'sigmoid', '--data-dir', 'DATA'], 'train: --cost log-likelihood needs the softmax output layer, not --output sigmoid'],
    [['--cost', 'cross-entropy', '--output', 'softmax', '--data-dir', 'DATA'], 'train: a softmax output layer needs --cost log-likelihood, not the CrossEntropyCost'],
    [['--cost', 'hinge'], "train: --cost must be 'quadratic', 'cross-entropy', 'log-likelihood'; got 'hinge'"],
    [['--activation', 'swish'], "train: --activation must be 'sigmoid', 'tanh', 'relu'; got 'swish'"],
    [['--lambda=-1'], "train: --lambda must be a number ≥ 0; got '-1'"],
    [['--momentum', '1'], "train: --momentum must be less than 1 (the velocity would grow without end); got '1'"],
    [['--preset', 'ch9'], "train: --preset must be one of ch1-30, ch1-100, ch3-ce-30, ch3-ce-100, ch3-overfit, ch3-overfit-l2, ch3-l2-100, ch3-l2-30, ch3-l2-100-30, ch3-init-large, ch3-init, ch6-fc, ch6-conv1, ch6-conv2, ch6-relu, ch6-expanded, ch6-dropout, fast, best; got 'ch9'"],
    [['--layers', 'conv 20 5x5 swish, softmax 10'], "train: --layers: layer 1 'conv 20 5x5 swish': unknown activation 'swish' (expected sigmoid, tanh, relu, linear)"],
    [['--layers', 'conv 20 5x5 relu, pool 3, softmax 10'], "train: --layers: layer 2 'pool 3': only 2×2 max-pooling is supported ('pool 2'); got '3'"],
    [['--layers', 'fc 30 relu, softmax 10', '--sizes', '784,30,10'], 'train: --sizes is for fully-connected networks; with --layers, say it in the layers (e.g. "fc 100 relu, dropout 0.5, softmax 10")'],
    [['--layers', 'fc 30 relu, softmax 9', '--data-dir', 'DATA'], 'train: --layers must end with 10 outputs, one per digit; got 9'],
    [['--preset', 'ch6-relu', '--activation', 'tanh', '--data-dir', 'DATA'], 'train: --cost, --output, --activation and --dropout are for fully-connected networks; a layer stack says them in its layers'],
    [['--layers', 'fc 30 relu, softmax 10', '--init', 'large', '--data-dir', 'DATA'], "train: --init large is for fully-connected networks; a layer stack starts 'default', 'network3' or 'he'"],
    [['--sizes', '784,30,10', '--init', 'network3', '--data-dir', 'DATA'], "train: --init network3 is for layer stacks (--layers); a fully-connected network starts 'large' or 'default'"],
    [['--sizes', '784,30,10', '--init', 'he', '--data-dir', 'DATA'], "train: --init he is for layer stacks (--layers); a fully-connected network starts 'large' or 'default'"],
    [['--monitor', 'train-loss'], "train: --monitor takes train-cost, train-acc, eval-cost, eval-acc (comma-separated); got 'train-loss'"],
    [['--eta-schedule', '0'], "train: --eta-schedule must be an integer from 1 to 100000; got '0'"],
    [['--dropout', '1'], "train: --dropout must be less than 1 (1 drops every unit); got '1'"],
    [['--train-size', '5000', '--data-dir', 'DATA'], 'train: --train-size 5000 is more than the 120 images of the training file'],
    [['--train-size', '110', '--eval', 'validation', '--data-dir', 'DATA'], "train: --train-size 110 would train on validation images (the training file's last 20); evaluate on the test set (--eval test) or train on at most 100"],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), () => {
      const r = run('train', args.map((a) => a.replace(/^DATA$/, dataDir).replace(/^OUTDIR/, root)));
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe(message.replace(/OUTDIR/g, root));
      expect(lines[1]).toBe("Run 'npm run train -- --help' for the options.");
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
  }

  it('npm start: a bad --port or --host is one line and exit 2, before anything is built or served', () => {
    for (const [args, message] of [
      [['--port', '99999'], "start: --port must be an integer from 0 to 65535; got '99999'"],
      [['--port', '-1'], "start: --port must be an integer from 0 to 65535; got '-1'"],
      [['--host', '999.1.1.1'], "start: --host must be an IP address such as 127.0.0.1 (or localhost); got '999.1.1.1'"],
      [['--host', '8.8.8.8', '--port', '0'], 'start: 8.8.8.8 is not an address of this machine; pass --host 127.0.0.1 (this machine only) or one of its own addresses'],
    ] as [string[], string][]) {
      const r = run('start', args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('--help prints the options and exits 0', () => {
    const r = run('train', ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: npm run train -- [options]');
    expect(r.stdout).toContain('--debug-shapes');
  });
});

describe('train: bad data exits 1 naming the file', () => {
  it('a missing folder', () => {
    const r = run('train', ['--data-dir', join(root, 'nowhere')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`train: ${join(root, 'nowhere')}: no such folder; --data-dir must name a folder holding the four MNIST IDX files`);
  });

  it('a truncated image file', () => {
    const dir = join(root, 'truncated');
    writeMnistDir(dir, randomImages(1, 120), randomImages(2, 30));
    const file = join(dir, 't10k-images-idx3-ubyte');
    writeFileSync(file, readFileSync(file).subarray(0, 5000));
    const r = run('train', ['--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `train: ${file}: truncated: the header promises 30 images × 28×28 pixels = 23520 bytes but only 4984 follow; download the file again`,
    );
  });

  it('a missing file', () => {
    const dir = join(root, 'missing');
    writeMnistDir(dir, randomImages(1, 120), randomImages(2, 30));
    rmSync(join(dir, 'train-labels-idx1-ubyte'));
    const r = run('train', ['--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dir}: no train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz) found`);
  });
});

describe('train: runs, checkpoints and resume', () => {
  it('trains from gzipped files, prints each epoch and the summary, and saves a model that evaluates', () => {
    const out = join(root, 'gz.json');
    const r = run('train', ['--data-dir', gzDir, '--epochs', '2', '--batch-size', '7', '--eval', 'validation', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('100 training, 20 validation (the last sixth of 120, as the book');
    expect(r.stdout).toMatch(/^Epoch 1\/2: \d+ \/ 20 \(\d+\.\d\d%\) {2}\d+\.\d+ s$/m);
    expect(r.stdout).toMatch(/^Epoch 2\/2: /m);
    expect(r.stdout).toContain(`saved the model after epoch 2 to ${out}`);
    const model = JSON.parse(readFileSync(out, 'utf8'));
    expect(model.sizes).toEqual([784, 30, 10]);
    expect(model.meta.epochsCompleted).toBe(2);
    expect(model.meta.miniBatchSize).toBe(7);

    const e = run('evaluate', ['--model', out, '--data-dir', gzDir]);
    expect(e.code).toBe(0);
    const acc = e.stdout.match(/^accuracy: (\d+) \/ 30 /m);
    expect(acc).not.toBeNull();
    const rows = e.stdout.split('\n').filter((l) => /^ {8}\d( +\d+){10}$/.test(l));
    expect(rows).toHaveLength(10);
    const cells = rows.map((l) => l.trim().split(/ +/).slice(1).map(Number));
    expect(cells.flat().reduce((s, v) => s + v, 0)).toBe(30); // every test image counted once
    expect(cells.reduce((s, row, d) => s + row[d], 0)).toBe(Number(acc![1])); // diagonal = correct
  });

  it('the same seed gives the same model file, byte for byte; another seed does not', () => {
    const a = join(root, 'a.json');
    const b = join(root, 'b.json');
    const c = join(root, 'c.json');
    expect(run('train', quick(a, '--seed', '7')).code).toBe(0);
    expect(run('train', quick(b, '--seed', '7')).code).toBe(0);
    expect(run('train', quick(c, '--seed', '8')).code).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(readFileSync(a, 'utf8')).not.toBe(readFileSync(c, 'utf8'));
  });

  it('the thread count and the backend choice: same file for 1 and 3 threads; ts and wasm recorded', () => {
    const one = join(root, 'one-thread.json');
    const three = join(root, 'three-threads.json');
    const r1 = run('train', quick(one, '--threads', '1', '--batch-size', '7'));
    const r3 = run('train', quick(three, '--threads', '3', '--batch-size', '7'));
    expect(r1.code).toBe(0);
    expect(r3.code).toBe(0);
    expect(r1.stdout).toContain('wasm kernels, 1 thread\n');
    expect(r3.stdout).toContain('wasm kernels, 3 threads (a step runs on thread 0 alone where that is faster');
    expect(readFileSync(three, 'utf8')).toBe(readFileSync(one, 'utf8'));
    const ts = join(root, 'ts.json');
    const rt = run('train', quick(ts, '--backend', 'ts', '--threads', '2'));
    expect(rt.code).toBe(0);
    expect(rt.stdout).toContain('ts kernels, 2 threads');
    expect(JSON.parse(readFileSync(ts, 'utf8')).meta.backend).toBe('ts');
    expect(JSON.parse(readFileSync(one, 'utf8')).meta.backend).toBe('wasm');
    // --threads auto (the default): one thread for a fully-connected step too small to share (23,860 parameters × 7), saying so; the same weights
    const small = join(root, 'auto-small.json');
    const rs = run('train', quick(small, '--batch-size', '7'));
    expect(rs.code).toBe(0);
    if (availableParallelism() > 1) {
      expect(rs.stdout).toContain('wasm kernels, 1 thread (--threads auto: a step, about 167,020 multiply-adds, is too small to share; two threads pay from about 1,000,000)\n');
    }
    expect(rs.stdout).not.toContain('\nthreads: ');
    expect(readFileSync(small, 'utf8')).toBe(readFileSync(one, 'utf8'));
    // otherwise both cores, each step on both threads or on thread 0 alone, and the run says how many went which way; same weights either way
    const auto = join(root, 'auto-threads.json');
    const ra = run('train', quick(auto, '--batch-size', '50'));
    expect(ra.code).toBe(0);
    if (availableParallelism() > 1) {
      expect(ra.stdout).toContain('wasm kernels, 2 threads (a step runs on thread 0 alone where that is faster, timed as the run goes)\n');
      // the steps before the worker was ready, if any, are a share of their own
      const [, both, alone, , starting] = ra.stdout.match(/\nthreads: (<1|>99|\d+)% of the steps ran on 2 threads, (<1|>99|\d+)% on thread 0 alone \(faster then\)(, (<1|>99|\d+)% on thread 0 before the other thread was ready)?\n/)!;
      const share = (p: string | undefined) => (p === undefined ? 0 : p === '<1' ? 0.5 : p === '>99' ? 99.5 : Number(p));
      expect(Math.abs(share(both) + share(alone) + share(starting) - 100)).toBeLessThanOrEqual(1.5);
    }
    const one50 = join(root, 'one-thread-50.json');
    expect(run('train', quick(one50, '--threads', '1', '--batch-size', '50')).code).toBe(0);
    expect(readFileSync(auto, 'utf8')).toBe(readFileSync(one50, 'utf8'));
  });

  it('a run stopped after epoch 1 and resumed ends exactly as an uninterrupted one', () => {
    const whole = join(root, 'whole.json');
    const part = join(root, 'part.json');
    expect(run('train', ['--data-dir', dataDir, '--epochs', '3', '--seed', '3', '--out', whole]).code).toBe(0);
    expect(run('train', ['--data-dir', dataDir, '--epochs', '1', '--seed', '3', '--out', part]).code).toBe(0);
    const r = run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`resuming ${part} after epoch 1`);
    expect(r.stdout).not.toMatch(/^Epoch 1\//m);
    const meta = JSON.parse(readFileSync(part, 'utf8')).meta;
    expect(meta.epochs).toBe(3);
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));

    const again = run('train', ['--data-dir', dataDir, '--resume', part]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${part} has finished 3 of 3 epochs; pass --epochs N with N > 3 to train more`);
  });

  it('--augment: says how it distorts, records it, and a resumed run carries on with it to the uninterrupted weights', () => {
    const common = ['--data-dir', dataDir, '--seed', '5', '--eta', '0.5', '--cost', 'cross-entropy'];
    const plain = join(root, 'aug-plain.json');
    expect(run('train', [...common, '--epochs', '2', '--out', plain]).code).toBe(0);
    const whole = join(root, 'aug-whole.json');
    const r = run('train', [...common, '--epochs', '2', '--augment', '--out', whole]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('augmented: each training image distorted anew each epoch: turned up to ±12°, sized 1 ± 0.12');
    const meta = JSON.parse(readFileSync(whole, 'utf8')).meta;
    expect(meta.augment).toEqual({ rotate: 12, scale: 0.12, shear: 0.15, shift: 2, elastic: 0.8, grid: 7, width: 0.2 });
    expect(JSON.parse(readFileSync(whole, 'utf8')).weights).not.toEqual(JSON.parse(readFileSync(plain, 'utf8')).weights);
    const part = join(root, 'aug-part.json');
    expect(run('train', [...common, '--epochs', '1', '--augment', '--out', part]).code).toBe(0);
    const resumed = run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '2']); // --augment comes from the file
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('augmented: ');
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  });

  it('--clean-epochs: said, recorded, and a run resumed where they begin gets the uninterrupted weights', () => {
    const common = ['--data-dir', dataDir, '--seed', '5', '--optimizer', 'adam', '--augment'];
    const whole = join(root, 'clean-whole.json');
    const r = run('train', [...common, '--epochs', '2', '--clean-epochs', '1', '--out', whole]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('clean: epoch 3 on the images as they are, Adam afresh, η from 0.00025 down to 0 on a cosine\n');
    expect(r.stdout).toContain('SGD: 2 epochs and 1 clean, mini-batch 10');
    expect(r.stdout).toMatch(/\nEpoch 2\/3: .*\nEpoch 3\/3 \(clean\): /);
    expect(JSON.parse(readFileSync(whole, 'utf8')).meta).toMatchObject({ epochs: 3, cleanEpochs: 1, cleanEta: 0.00025 });
    // two distorted epochs alone are the whole run's first two; resumed with the clean one, the whole run
    const part = join(root, 'clean-part.json');
    expect(run('train', [...common, '--epochs', '2', '--out', part]).code).toBe(0);
    const resumed = run('train', ['--data-dir', dataDir, '--resume', part, '--clean-epochs', '1']);
    expect(resumed.code).toBe(0);
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));
    const refused = run('train', ['--data-dir', dataDir, '--epochs', '2', '--clean-epochs', '1', '--out', join(root, 'clean-x.json')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe("train: --clean-epochs 1: the clean epochs follow distorted ones, and without --augment every epoch is on the images as they are; add --augment or drop --clean-epochs\nRun 'npm run train -- --help' for the options.\n");
  });

  it('--label-smoothing: said, recorded, carried on by a resumed run to the uninterrupted weights; another run\'s file kept', () => {
    const common = ['--data-dir', dataDir, '--seed', '6', '--eta', '0.5', '--output', 'softmax', '--cost', 'log-likelihood'];
    const plain = join(root, 'ls-plain.json');
    expect(run('train', [...common, '--epochs', '2', '--out', plain]).code).toBe(0);
    const whole = join(root, 'ls-whole.json');
    const r = run('train', [...common, '--epochs', '2', '--label-smoothing', '0.1', '--out', whole]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('η = 0.5, labels smoothed by ε = 0.1, seed 6');
    const model = JSON.parse(readFileSync(whole, 'utf8'));
    expect(model.meta.labelSmoothing).toBe(0.1);
    expect(JSON.parse(readFileSync(join(root, 'ls-whole.metrics.json'), 'utf8')).settings.labelSmoothing).toBe(0.1); // the curves say it too
    expect(JSON.parse(readFileSync(plain, 'utf8')).meta.labelSmoothing).toBeUndefined();
    expect(model.weights).not.toEqual(JSON.parse(readFileSync(plain, 'utf8')).weights);
    const part = join(root, 'ls-part.json');
    expect(run('train', [...common, '--epochs', '1', '--label-smoothing', '0.1', '--out', part]).code).toBe(0);
    const resumed = run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '2']); // ε comes from the file
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('labels smoothed by ε = 0.1');
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));
    const other = run('train', [...common, '--epochs', '2', '--out', whole]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('labelSmoothing 0.1 there, 0 here');
  });

  it('--redrawn: twice the training images, recorded, carried on by a resumed run to the uninterrupted weights', () => {
    const common = ['--data-dir', dataDir, '--seed', '3', '--eta', '0.5', '--cost', 'cross-entropy'];
    const whole = join(root, 'redrawn-whole.json');
    const r = run('train', [...common, '--epochs', '2', '--redrawn', '--out', whole]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/redrawn: each training image also as a hand would draw it on the page \(thinned, traced, redrawn, preprocessed\), 200 images/);
    expect(JSON.parse(readFileSync(whole, 'utf8')).meta).toMatchObject({ redrawn: true, trainSize: 100 });
    const part = join(root, 'redrawn-part.json');
    expect(run('train', [...common, '--epochs', '1', '--redrawn', '--out', part]).code).toBe(0);
    const resumed = run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '2']); // --redrawn comes from the file
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('redrawn: ');
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));
    // another run's file is not replaced by one with other data
    const other = run('train', [...common, '--epochs', '2', '--out', whole]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('redrawn true there, false here');
    // traced at 4×: other images, said, recorded, and carried on by a resumed run
    const fine = join(root, 'redrawn-fine.json');
    const f = run('train', [...common, '--epochs', '2', '--redrawn', '--trace-scale', '4', '--out', fine]);
    expect(f.code).toBe(0);
    expect(f.stdout).toContain('(thinned enlarged 4×, traced, redrawn, preprocessed), 200 images');
    const fineModel = JSON.parse(readFileSync(fine, 'utf8'));
    expect(fineModel.meta).toMatchObject({ redrawn: true, traceScale: 4 });
    expect(fineModel.weights).not.toEqual(JSON.parse(readFileSync(whole, 'utf8')).weights);
    const finePart = join(root, 'redrawn-fine-part.json');
    expect(run('train', [...common, '--epochs', '1', '--redrawn', '--trace-scale', '4', '--out', finePart]).code).toBe(0);
    expect(run('train', ['--data-dir', dataDir, '--resume', finePart, '--epochs', '2']).code).toBe(0);
    expect(readFileSync(finePart, 'utf8')).toBe(readFileSync(fine, 'utf8'));
    const notFine = run('train', [...common, '--epochs', '2', '--redrawn', '--out', fine]);
    expect(notFine.code).toBe(1);
    expect(notFine.stderr).toContain('traceScale 4 there, 1 here');
    // filled loops by their outline: said, recorded, carried on by a resumed run, and another run's file kept
    const outlined = join(root, 'redrawn-outlined.json');
    const o = run('train', [...common, '--epochs', '2', '--redrawn', '--trace-scale', '4', '--outline-blobs', '--out', outlined]);
    expect(o.code).toBe(0);
    expect(o.stdout).toContain('(thinned enlarged 4×, filled loops by their outline, traced, redrawn, preprocessed), 200 images');
    expect(JSON.parse(readFileSync(outlined, 'utf8')).meta).toMatchObject({ redrawn: true, traceScale: 4, outlineBlobs: true });
    const outlinedPart = join(root, 'redrawn-outlined-part.json');
    expect(run('train', [...common, '--epochs', '1', '--redrawn', '--trace-scale', '4', '--outline-blobs', '--out', outlinedPart]).code).toBe(0);
    expect(run('train', ['--data-dir', dataDir, '--resume', outlinedPart, '--epochs', '2']).code).toBe(0);
    expect(readFileSync(outlinedPart, 'utf8')).toBe(readFileSync(outlined, 'utf8'));
    const notOutlined = run('train', [...common, '--epochs', '2', '--redrawn', '--trace-scale', '4', '--out', outlined]);
    expect(notOutlined.code).toBe(1);
    expect(notOutlined.stderr).toContain('outlineBlobs true there, false here');
  });

  it('with momentum, a resumed run still ends exactly as an uninterrupted one (the velocities are kept)', () => {
    const whole = join(root, 'mwhole.json');
    const part = join(root, 'mpart.json');
    const common = ['--data-dir', dataDir, '--seed', '4', '--momentum', '0.5', '--lambda', '1', '--cost', 'cross-entropy', '--eta', '0.3'];
    expect(run('train', [...common, '--epochs', '3', '--out', whole]).code).toBe(0);
    expect(run('train', [...common, '--epochs', '1', '--out', part]).code).toBe(0);
    expect(existsSync(join(root, 'mpart.optimizer.bin'))).toBe(true);
    expect(run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '3']).code).toBe(0);
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  });

  it('with Adam and batch norm, a resumed run ends as an uninterrupted one (optimizer state and running statistics kept)', () => {
    const whole = join(root, 'awhole.json');
    const part = join(root, 'apart.json');
    const common = ['--data-dir', dataDir, '--seed', '5', '--hidden', '12', '--optimizer', 'adam', '--batch-norm', '--lambda', '1'];
    const first = run('train', [...common, '--epochs', '3', '--out', whole]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('layers fc 12 sigmoid, bn, sigmoid 10');
    expect(first.stdout).toMatch(/η = 0\.001, λ = 1, adam, /);
    expect(first.stdout).toContain('default init');
    expect(run('train', [...common, '--epochs', '1', '--out', part]).code).toBe(0);
    const saved = JSON.parse(readFileSync(part, 'utf8'));
    expect(saved.meta).toMatchObject({ optimizer: 'adam', eta: 0.001, init: 'default' });
    expect(saved.state).toHaveLength(1);
    expect(readFileSync(join(root, 'apart.optimizer.bin')).subarray(0, 21).toString()).toBe('digitnet-optimizer 1\n');
    expect(run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '3']).code).toBe(0);
    expect(readFileSync(part, 'utf8')).toBe(readFileSync(whole, 'utf8'));
    // without its state the run goes on, says so, and ends elsewhere
    expect(run('train', [...common, '--epochs', '1', '--out', part, '--force']).code).toBe(0);
    unlinkSync(join(root, 'apart.optimizer.bin'));
    const fresh = run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '3']);
    expect(fresh.stdout).toContain("no apart.optimizer.bin beside the checkpoint: adam's state (m1, m2) starts from zero");
    expect(readFileSync(part, 'utf8')).not.toBe(readFileSync(whole, 'utf8'));
    // a damaged state file is an error, one line
    writeFileSync(join(root, 'apart.optimizer.bin'), 'digitnet-optimizer 1\n{"settings":{}}\n');
    const bad = run('train', ['--data-dir', dataDir, '--resume', part, '--epochs', '4']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/apart\.optimizer\.bin: it holds state for undefined parameters; this network has \d+; delete it to start adam's state from zero$/);
  });

  it('--train-size above the training images takes the validation images after them, in the file’s order, when the test set is the yardstick', () => {
    const all = join(root, 'all120.json');
    const first = join(root, 'first100.json');
    const r = run('train', ['--data-dir', dataDir, '--epochs', '1', '--train-size', '120', '--no-shuffle', '--batch-size', '120', '--eval', 'test', '--out', all]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('training on the first 120 images of the training file, 20 validation images among them (--train-size; evaluated on test)');
    expect(r.stdout).toMatch(/^Epoch 1\/1: \d+ \/ 30 /m);
    expect(run('train', ['--data-dir', dataDir, '--epochs', '1', '--train-size', '100', '--no-shuffle', '--batch-size', '120', '--eval', 'test', '--out', first]).code).toBe(0);
    // one step over all the images: the 20 more images move the weights
    expect(JSON.parse(readFileSync(all, 'utf8')).weights).not.toEqual(JSON.parse(readFileSync(first, 'utf8')).weights);
  });

  it('the new options say what does not go together', () => {
    const cases: [string[], string][] = [
      [['--optimizer', 'adam', '--momentum', '0.9'], '--optimizer adam keeps its own averages of the gradient; it takes no --momentum'],
      [['--optimizer', 'nesterov', '--momentum', '0'], '--optimizer nesterov needs a --momentum above 0'],
      [['--optimizer', 'rmsprop'], "--optimizer must be 'sgd', 'momentum', 'nesterov', 'adam', 'adamw'; got 'rmsprop'"],
      [['--schedule', 'cosine', '--eta-schedule', '3'], '--eta-schedule halves η by accuracy; it does not go with --schedule cosine'],
      [['--layers', 'fc 10 relu, bn 3, softmax 10'], "--layers: layer 2 'bn 3': unknown activation '3' (expected sigmoid, tanh, relu, linear)"],
      [['--layers', 'fc 10 relu, bn relu 3, softmax 10'], "--layers: layer 2 'bn relu 3': unexpected '3'"],
    ];
    for (const [args, message] of cases) {
      const r = run('train', ['--data-dir', dataDir, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`train: ${message}`);
    }
  });

  it('a corrupt or mismatched --resume file is an error and is left as it was', () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{"sizes": [784, 30, 10], "weights": [');
    const r = run('train', ['--data-dir', dataDir, '--resume', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^train: ${bad}: not a model file: invalid JSON`));
    expect(readFileSync(bad, 'utf8')).toBe('{"sizes": [784, 30, 10], "weights": [');

    const good = join(root, 'good.json');
    expect(run('train', quick(good)).code).toBe(0);
    const before = readFileSync(good, 'utf8');
    const m = run('train', ['--data-dir', dataDir, '--resume', good, '--sizes', '784,100,10', '--epochs', '5']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain(`--sizes 784,100,10 does not match ${good}, a 784-30-10 network`);
    expect(readFileSync(good, 'utf8')).toBe(before);
  });

  it('a diverging run stops with a message and keeps the last good checkpoint', () => {
    const out = join(root, 'diverge.json');
    expect(run('train', ['--data-dir', dataDir, '--epochs', '1', '--out', out]).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    const r = run('train', ['--data-dir', dataDir, '--resume', out, '--epochs', '3', '--eta', '1e300']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `train: training diverged in epoch 2: weights became NaN or infinite; try a smaller --eta than 1e+300. ${out} is unchanged.`,
    );
    expect(readFileSync(out, 'utf8')).toBe(before);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const fresh = join(root, 'fresh.json');
    const f = run('train', ['--data-dir', dataDir, '--eta', '1e300', '--out', fresh]);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain('training diverged in epoch 1');
    expect(f.stderr).toContain('Nothing was saved.');
    expect(existsSync(fresh)).toBe(false);
  });

  it('--debug-shapes (and DIGITNET_DEBUG=shapes) print the tensors of the first mini-batch', () => {
    for (const [args, env] of [[['--debug-shapes'], {}], [[], { DIGITNET_DEBUG: 'shapes' }]] as const) {
      const r = run('train', [...quick(join(root, 'shapes.json')), '--batch-size', '10', ...args], env);
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n').map((l) => l.trim());
      expect(lines).toContain('layer 2  z² = W²(30×784)·a¹(784×10) + b²(30×1) → (30×10)');
      expect(lines).toContain('BP1  δ³ = (a³ − y) ⊙ σ′(z³) (QuadraticCost) → (10×10)');
      expect(lines).toContain('BP2  δ² = (W³ᵀ(30×10)·δ³(10×10)) ⊙ σ′(z²)(30×10) → (30×10)');
      expect(lines).toContain('BP3  ∇b³ = Σ δ³(10×10) over 10 samples → (10×1)');
      expect(lines).toContain('BP4  ∇W³ = δ³(10×10)·a²ᵀ(10×30) → (10×30)');
      expect(lines.filter((l) => l.startsWith('BP4')).length).toBe(2); // first mini-batch only
    }
  });
});

describe('--dataset fashion', () => {
  it('trains from --data-dir and evaluates with the class names', () => {
    const out = join(root, 'fashion.json');
    const r = run('train', ['--dataset', 'fashion', '--data-dir', dataDir, '--epochs', '1', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^data: Fashion-MNIST from --data-dir /m);
    const e = run('evaluate', ['--dataset', 'fashion', '--data-dir', dataDir, '--model', out]);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('class  images  correct  accuracy  name');
    expect(e.stdout).toMatch(/^ {4}9 .* Ankle boot$/m);
    expect(e.stdout).toContain('confusion matrix (rows: true class, columns: predicted class)');
  });
});

describe('chapter 3 runs: presets, monitoring, curves, plot', () => {
  it("--preset and --monitor: the book's figure, each epoch's metrics, metrics.json and an SVG chart", () => {
    const out = join(root, 'ce.json');
    const r = run('train', ['--preset', 'ch3-ce-30', '--data-dir', dataDir, '--epochs', '2', '--monitor', 'train-cost,train-acc,eval-cost', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('preset ch3-ce-30: chapter 3: the cross-entropy cost, 784-30-10, η = 0.5; the book reports 95.49% on test');
    expect(r.stdout).toContain('network 784-30-10 (sigmoid hidden, sigmoid output, CrossEntropyCost, large init)');
    expect(r.stdout).toMatch(/^Epoch 2\/2: .*train cost \d\.\d{4}, train \d+\.\d\d%, test cost \d\.\d{4}$/m);
    expect(r.stdout).toMatch(/the book: 95\.49% on test$/m);
    const metrics = JSON.parse(readFileSync(join(root, 'ce.metrics.json'), 'utf8'));
    expect(metrics.run).toBe('ch3-ce-30');
    expect(metrics.epochs).toHaveLength(2);
    expect(Object.keys(metrics.epochs[1]).sort()).toEqual(['epoch', 'eta', 'evalAccuracy', 'evalCost', 'seconds', 'trainAccuracy', 'trainCost']);
    const svg = readFileSync(join(root, 'ce.svg'), 'utf8');
    expect([...svg.matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(
      ['ch3-ce-30: eval-acc', 'ch3-ce-30: eval-cost', 'ch3-ce-30: train-acc', 'ch3-ce-30: train-cost'],
    );
    const model = JSON.parse(readFileSync(out, 'utf8'));
    expect(model.cost).toBe('CrossEntropyCost');
    expect(model.meta.lambda).toBe(0);

    const ll = join(root, 'll.json');
    const r2 = run('train', ['--cost', 'log-likelihood', '--activation', 'relu', '--init', 'default', '--lambda', '1', '--momentum', '0.5',
      '--eta', '0.1', '--data-dir', dataDir, '--epochs', '1', '--out', ll]);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('(relu hidden, softmax output, LogLikelihoodCost, default init), SGD: 1 epoch, mini-batch 10, η = 0.1, λ = 1, μ = 0.5');
    expect(JSON.parse(readFileSync(ll, 'utf8'))).toMatchObject({ cost: 'LogLikelihoodCost', output: 'softmax', activation: 'relu', meta: { lambda: 1, momentum: 0.5, init: 'default' } });

    const dx = run('train', ['--data-dir', dataDir, '--epochs', '1', '--expand', '--dropout', '0.3', '--threads', '2', '--out', join(root, 'dx.json')]);
    expect(dx.code).toBe(0);
    expect(dx.stdout).toContain('expanded: each training image and its four one-pixel shifts, 500 images');
    expect(dx.stdout).toMatch(/dropout 0\.3, .*2 threads/);
    expect(JSON.parse(readFileSync(join(root, 'dx.json'), 'utf8')).meta).toMatchObject({ dropout: 0.3, expand: true });
    // dropout on threads: the masks are one thread's, so the model is the same as with --threads 1
    const d1 = run('train', ['--data-dir', dataDir, '--epochs', '1', '--expand', '--dropout', '0.3', '--threads', '1', '--out', join(root, 'd1.json')]);
    expect(d1.code).toBe(0);
    const weights = (f: string) => JSON.parse(readFileSync(join(root, f), 'utf8')).weights;
    expect(weights('dx.json')).toEqual(weights('d1.json'));

    const plot = join(root, 'both.svg');
    const p = run('plot', [out, join(root, 'll.metrics.json'), '--out', plot]);
    expect(p.code).toBe(0);
    expect(p.stdout.trim()).toBe(`wrote ${plot}: 2 runs, open it in a browser`);
    expect((readFileSync(plot, 'utf8').match(/class="series"/g) ?? []).length).toBe(5);
    const missing = run('plot', [join(root, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`plot: ${join(root, 'nope.metrics.json')}: no such file; give a model file saved by npm run train, or its .metrics.json`);
    expect(run('plot', []).code).toBe(2);
  });
});

describe('train --quiet', () => {
  it('prints only the final summary', () => {
    const out = join(root, 'quiet.json');
    const r = run('train', [...quick(out), '--quiet']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^best: epoch \d, \d+ \/ 30 \(/);
    expect(lines[1]).toMatch(/^2 epochs in /);
    // the book's network at mini-batch 10 runs on one thread under --threads auto (too small to share): no line about threads
    expect(lines[2]).toBe(`saved the model after epoch 2 to ${out}`);
    expect(r.stdout).not.toContain('Epoch 1/2');
    expect(r.stderr).toBe('');
  });
});

describe('drawn digits: drawn-set writes them, evaluate --drawn reads them through the page\'s preprocessing', () => {
  it('writes the same set for the same seed, another for another, and the page test\'s 50', () => {
    const a = join(root, 'drawn', 'a.json');
    const r = run('drawn-set', ['--count', '20', '--out', a]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote 20 drawn digits to ${a}\n`);
    const again = join(root, 'drawn-again.json');
    expect(run('drawn-set', ['--count', '20', '--out', again]).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(a, 'utf8'));
    const other = join(root, 'drawn-other.json');
    expect(run('drawn-set', ['--count', '20', '--seed', '2', '--out', other]).code).toBe(0);
    expect(readFileSync(other, 'utf8')).not.toBe(readFileSync(a, 'utf8'));
    const fine = join(root, 'drawn-fine.json');
    expect(run('drawn-set', ['--count', '20', '--trace-scale', '4', '--out', fine]).code).toBe(0);
    expect(readFileSync(fine, 'utf8')).toContain('(npm run drawn-set -- --count 20 --seed 1 --trace-scale 4)');
    expect(JSON.parse(readFileSync(fine, 'utf8')).digits).not.toEqual(JSON.parse(readFileSync(a, 'utf8')).digits); // traced on a finer grid
    const outlined = join(root, 'drawn-outlined.json');
    expect(run('drawn-set', ['--count', '20', '--trace-scale', '4', '--outline-blobs', '--out', outlined]).code).toBe(0);
    expect(readFileSync(outlined, 'utf8')).toContain('(npm run drawn-set -- --count 20 --seed 1 --trace-scale 4 --outline-blobs)');
    const [plain, hollow] = [fine, outlined].map((f) => JSON.parse(readFileSync(f, 'utf8')).digits as unknown[]);
    const changed = plain.map((d, i) => JSON.stringify(d) !== JSON.stringify(hollow[i]));
    expect(changed.filter(Boolean).length).toBeGreaterThan(0); // the heavy parts of some digits traced by their outline
    expect(changed.filter(Boolean).length).toBeLessThan(10); // the others as they were
    const t = run('drawn-set', ['--from', 'templates', '--out', join(root, 'drawn', 'b.json')]);
    expect(t.stdout).toContain('wrote 50 drawn digits');
  });

  it('draws the validation images with --from mnist-validation: their labels, in their order, other digits than the test set\'s', async () => {
    const v = join(root, 'drawn-validation.json');
    const r = run('drawn-set', ['--from', 'mnist-validation', '--count', '20', '--out', v]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote 20 drawn digits to ${v}\n`);
    const set = JSON.parse(readFileSync(v, 'utf8'));
    expect(set.source).toBe('MNIST validation images 0-19 (training file 50000-50019) thinned, traced and redrawn on a 320-pixel pad (npm run drawn-set -- --from mnist-validation --count 20 --seed 1)');
    const { validation } = bookSplit((await loadMnist()).sets);
    expect(set.digits.map((d: { label: number }) => d.label)).toEqual(Array.from(validation.labels.subarray(0, 20)));
    const test = JSON.parse(readFileSync(join(root, 'drawn', 'a.json'), 'utf8'));
    expect(set.digits.map((d: { strokes: unknown }) => JSON.stringify(d.strokes))).not.toEqual(test.digits.map((d: { strokes: unknown }) => JSON.stringify(d.strokes)));
  });

  it('evaluates a set, and a folder of sets together, per digit', () => {
    const model = 'web/models/default.json';
    const one = run('evaluate', ['--model', model, '--drawn', join(root, 'drawn', 'b.json')]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`data: 50 drawn digits, each through the page's preprocessing: ${join(root, 'drawn', 'b.json')}\n`);
    const right = Number(one.stdout.match(/\naccuracy: (\d+) \/ 50 \(/)![1]);
    expect(right).toBeGreaterThanOrEqual(45); // the page's model on the page test's own digits
    const perDigit = one.stdout.match(/^ {4}\d {6,}5 +\d+ +[\d.]+%$/gm)!; // each digit: 5 drawings
    expect(perDigit.length).toBe(10);
    const both = run('evaluate', ['--model', model, '--drawn', join(root, 'drawn')]);
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/\naccuracy: \d+ \/ 70 \(/);
  });

  it('writes the images it got wrong as a PNG (--errors), one cell each', () => {
    const png = join(root, 'errors', 'wrong.png');
    const r = run('evaluate', ['--model', 'web/models/default.json', '--data-dir', dataDir, '--errors', png]); // random images: most answers wrong
    expect(r.code).toBe(0);
    const wrong = 30 - Number(r.stdout.match(/\naccuracy: (\d+) \/ 30 \(/)![1]);
    expect(wrong).toBeGreaterThan(0);
    expect(r.stdout).toContain(`\nwrote ${png}: the ${wrong} image${wrong === 1 ? '' : 's'} it got wrong, each with the true digit at its top right and the answer at its bottom right\n`);
    const b = readFileSync(png);
    expect(b.toString('latin1', 12, 16)).toBe('IHDR');
    const expected = digitGrid(Array.from({ length: wrong }, () => ({ pixels: null, truth: 0, answer: 0 })));
    expect([b.readUInt32BE(16), b.readUInt32BE(20)]).toEqual([expected.width, expected.height]);
  });

  /** MNIST's first `count` test images as the test set of a data folder `name` (random training images), on the CLI's kernels. */
  async function firstTestImages(count: number, name: string) {
    await selectBackend('wasm');
    const mnist = bookSplit((await loadMnist()).sets).test;
    const first = { ...mnist, images: mnist.images.slice(0, count * 784), labels: mnist.labels.slice(0, count), count };
    const realDir = join(root, name);
    writeMnistDir(realDir, randomImages(1, 120), first);
    return { first, realDir };
  }

  it('--tta reads each image in three views and answers with the class most likely over them, MNIST images and drawn digits', async () => {
    // MNIST's first 2,500 test images, among them some whose answer the views change (4 for the page's default)
    const n = 2500;
    const { first, realDir } = await firstTestImages(n, 'mnist-real');
    const model = 'web/models/default.json';
    const r = run('evaluate', ['--model', model, '--data-dir', realDir, '--tta']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\ntest-time augmentation: each image read as it is and turned 9° either way; the answer is the class most likely over the 3 views\n');
    // the same answers, computed here from the views
    const { network } = loadModelFile(model);
    const answers = vote([combineViews(TTA_VIEWS.map((v) => network.outputs(viewSet(first, v))), n, 10)], n, 10);
    const plain = vote([network.outputs(first)], n, 10);
    const right = answers.filter((a, i) => a === first.labels[i]).length;
    const changed = answers.filter((a, i) => a !== plain[i]).length;
    expect(changed).toBeGreaterThan(0);
    const fixed = answers.filter((a, i) => a !== plain[i] && a === first.labels[i]).length;
    const broken = answers.filter((a, i) => a !== plain[i] && plain[i] === first.labels[i]).length;
    expect(r.stdout).toContain(`\nthe views changed ${changed} answer${changed === 1 ? '' : 's'} of the images as they are: ${fixed} now right, ${broken} now wrong\n`);
    expect(r.stdout).toContain(`\naccuracy: ${right.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} (`);
    const d = run('evaluate', ['--model', model, '--drawn', join(root, 'drawn', 'b.json'), '--tta']);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('test-time augmentation: each image read as it is and turned 9° either way');
    expect(d.stdout).toMatch(/\nthe views changed \d+ answers? of the images as they are: \d+ now right, \d+ now wrong\n/);
    expect(Number(d.stdout.match(/\naccuracy: (\d+) \/ 50 \(/)![1])).toBeGreaterThanOrEqual(45);
  });

  it('--dead-units counts the ReLU units of each model that never turn on for the images', async () => {
    const { first, realDir } = await firstTestImages(300, 'mnist-dead');
    const model = join(root, 'silenced.json');
    const net = new LayerStack('conv 6 5x5 relu, pool 2, fc 12 relu, softmax 10');
    net.init(new Rng(4), 'he');
    (net.layers[0] as unknown as { b: Float32Array }).b[2] = -1e6; // map 2 never on
    writeFileSync(model, serializeModel(net));
    const r = run('evaluate', ['--model', model, '--model', 'web/models/default.json', '--data-dir', realDir, '--dead-units']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const counts = (n: LayerStack) => reluActivity(n, first);
    const [c, f] = counts(net);
    expect(c.silent).toBeGreaterThanOrEqual(1);
    expect(r.stdout).toContain(`\n  ReLU units never on over the 300 images: conv 6 5x5 relu ${c.silent} of 6 maps, fc 12 relu ${f.silent} of 12; ${c.silent + f.silent} of 18 in all\n`);
    const def = counts(loadModelFile('web/models/default.json').network);
    expect(def.map((a) => a.describe)).toEqual(['bn relu', 'bn relu', 'bn relu']);
    expect(r.stdout).toContain(`  ReLU units never on over the 300 images: bn relu ${def[0].silent} of 32 maps, bn relu ${def[1].silent} of 64 maps, bn relu ${def[2].silent} of 256;`);
  });

  const cases: [string, string[], number, string][] = [
    ['evaluate', ['--model', 'web/models/default.json', '--drawn', 'DIR/drawn/a.json', '--dead-units'], 2, 'evaluate: --dead-units counts over MNIST images (--set); it takes no --drawn'],
    ['drawn-set', ['--from', 'photos'], 2, "drawn-set: --from must be 'mnist-test', 'mnist-validation' or 'templates'; got 'photos'"],
    ['drawn-set', ['--from', 'templates', '--count', '5'], 2, "drawn-set: --from templates is the page test's 50 digits: it takes no --count, --seed, --trace-scale or --outline-blobs"],
    ['drawn-set', ['--trace-scale', '9'], 2, "drawn-set: --trace-scale must be an integer from 1 to 8; got '9'"],
    ['drawn-set', ['--count', '0'], 2, "drawn-set: --count must be an integer from 1 to 10000; got '0'"],
    ['evaluate', ['--model', 'web/models/default.json', '--drawn', 'DIR/drawn/a.json', '--set', 'test'], 2, 'evaluate: --drawn evaluates drawn digits: it takes no --set, --dataset or --data-dir'],
    ['evaluate', ['--model', 'web/models/default.json', '--drawn', 'DIR/no-such.json'], 1, 'evaluate: DIR/no-such.json: no such file or folder'],
    ['evaluate', ['--model', 'web/models/default.json', '--drawn', 'DIR/not-strokes.json'], 1, 'evaluate: DIR/not-strokes.json: not a stroke set: expected "format": "digitnet-strokes 1"'],
    ['evaluate', ['--model', 'web/models/default.json', '--errors', ''], 2, 'evaluate: --errors must name a file, e.g. --errors errors.png'],
    ['evaluate', ['--model', 'web/models/default.json', '--errors', 'DIR/'], 2, 'evaluate: --errors DIR/ names a folder; give a file name, e.g. DIR/errors.png'],
    ['evaluate', ['--model', 'web/models/default.json', '--errors', 'DIR'], 2, 'evaluate: --errors DIR is a folder; refusing to replace it: pass a path for a new file or a picture to replace'],
    ['evaluate', ['--model', 'web/models/default.json', '--errors', '/dev/null'], 2, 'evaluate: --errors /dev/null is a device; refusing to replace it: pass a path for a new file or a picture to replace'],
  ];
  writeFileSync(join(root, 'not-strokes.json'), '{"sizes": [784, 30, 10]}'); // JSON, but a model's
  for (const [script, args, code, message] of cases) {
    it(`${script} ${args.join(' ')}`, () => {
      const r = run(script as 'evaluate', args.map((a) => a.replace('DIR', root)));
      expect(r.code).toBe(code);
      expect(r.stderr.split('\n')[0]).toBe(message.replaceAll('DIR', root));
      expect(r.stderr).not.toContain('    at '); // no stack trace
    });
  }
});

describe('evaluate: bad input', () => {
  it('needs --model, and names a bad model file', () => {
    const r = run('evaluate', []);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('evaluate: --model FILE is required: the model to evaluate (repeat it for an ensemble)');
    const missing = join(root, 'nope.json');
    const m = run('evaluate', ['--model', missing]);
    expect(m.code).toBe(1);
    expect(m.stderr.trim()).toBe(`evaluate: ${missing}: no such file or folder`);
  });
});

describe('layer stacks (chapter 6) from the command line', () => {
  const stackA = join(root, 'stack-a.json');
  const stackB = join(root, 'stack-b.json');
  const layers = 'conv 4 5x5 relu, pool 2, fc 20 relu, dropout 0.25, softmax 10';

  it('--layers trains a convolutional net, prints its shapes with --debug-shapes, and saves it', () => {
    const r = run('train', [...quick(stackA), '--layers', layers, '--eta', '0.05', '--lambda', '1', '--momentum', '0.5', '--debug-shapes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`layers ${layers} (`);
    expect(r.stdout).toContain('wasm kernels, 2 threads');
    expect(r.stdout).toContain('conv1  W (4×1×5×5) ∗ x (1×28×28) + b (4), relu → (4×24×24)');
    expect(r.stdout).toContain('pool1  max over 2×2 windows (4×24×24) → (4×12×12)');
    expect(r.stdout).toContain('dropout1  a ⊙ mask / (1 − p), p = 0.25 (training only) → (20)');
    expect(r.stdout).toContain('output  δ = aᴸ − y (BP1) (10)');
    expect(r.stdout).toContain('SGD  v ← μv − (η/m)·∇w − (ηλ/n)·w, w ← w + v');
    expect(r.stdout).toMatch(/Epoch 2\/2: \d+ \/ 30/);
    const model = JSON.parse(readFileSync(stackA, 'utf8'));
    expect(model.layers).toBe(layers);
    expect(model.input).toEqual([1, 28, 28]);
    expect(model.weights.map((w: number[][]) => [w.length, w[0].length])).toEqual([[4, 25], [20, 576], [10, 20]]);
    expect(existsSync(stackA.replace(/\.json$/, '.optimizer.bin'))).toBe(true);
  });

  it('a stack run resumed from its checkpoint ends with the same weights as one run straight through', () => {
    const whole = join(root, 'stack-whole.json');
    const half = join(root, 'stack-half.json');
    const args = ['--data-dir', dataDir, '--layers', layers, '--eta', '0.05', '--momentum', '0.5', '--seed', '3'];
    expect(run('train', [...args, '--epochs', '3', '--out', whole]).code).toBe(0);
    expect(run('train', [...args, '--epochs', '1', '--out', half]).code).toBe(0);
    const r = run('train', ['--resume', half, '--epochs', '3', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(half, 'utf8')).weights).toEqual(JSON.parse(readFileSync(whole, 'utf8')).weights);
  });

  it('on 2 threads: the same seed gives the same weights, and a resumed run ends as one run straight through', () => {
    const spec = 'conv 3 5x5 relu, pool 2, fc 12 tanh, softmax 10';
    const args = ['--data-dir', dataDir, '--layers', spec, '--eta', '0.05', '--momentum', '0.5', '--lambda', '1', '--seed', '4', '--threads', '2'];
    const [a, b, half] = ['thr-a.json', 'thr-b.json', 'thr-half.json'].map((f) => join(root, f));
    const r = run('train', [...args, '--epochs', '3', '--out', a]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('2 threads');
    expect(run('train', [...args, '--epochs', '3', '--out', b]).code).toBe(0);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8').replace(/thr-a/g, 'thr-b'));
    expect(run('train', [...args, '--epochs', '1', '--out', half]).code).toBe(0);
    expect(run('train', ['--resume', half, '--epochs', '3', '--data-dir', dataDir, '--threads', '2']).code).toBe(0);
    expect(JSON.parse(readFileSync(half, 'utf8')).weights).toEqual(JSON.parse(readFileSync(a, 'utf8')).weights);
  });

  it('evaluate takes several --model options and reports each model and their vote', () => {
    expect(run('train', [...quick(stackB), '--layers', 'fc 16 tanh, softmax 10', '--eta', '0.1', '--seed', '2']).code).toBe(0);
    const r = run('evaluate', ['--model', stackA, '--model', stackB, '--data-dir', dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`model ${stackA}: ${layers}`);
    expect(r.stdout).toContain(`model ${stackB}: fc 16 tanh, softmax 10`);
    expect(r.stdout.match(/^  accuracy: \d+ \/ 30 /gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/^ensemble of 2, by vote: \d+ \/ 30 \(/m);
  });
});

describe('bench --layers: the training speed of a layer stack', () => {
  it("takes a chapter-6 preset's name and reports samples per second and seconds per epoch", () => {
    const r = run('bench', ['--layers', 'ch6-fc', '--backend', 'ts', '--threads', '1,2', '--batch-size', '10', '--seconds', '0.2', '--repeats', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ preset: 'ch6-fc', layers: 'fc 100 sigmoid, softmax 10' });
    expect(doc.results.map((r: { threads: number }) => r.threads)).toEqual([1, 2]);
    for (const r of doc.results) {
      expect(r.samplesPerSecond.median).toBeGreaterThan(0);
      expect(r.secondsPerEpoch).toBeCloseTo(50000 / r.samplesPerSecond.median, 6);
    }
  });

  it('--kernels: the SIMD peak, then every gemm, im2col, col2im and pooling of a step with its GFLOP/s', () => {
    const r = run('bench', ['--kernels', '--hidden', '30', '--batch-size', '10', '--layers', 'conv 4 5x5 relu, pool 2, conv 6 3x3 relu, pool 2, softmax 10', '--seconds', '0.02', '--repeats', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digitnet bench --kernels: .*, Node v\d+/m);
    const peak = Number(/^SIMD peak: ([\d.]+) GFLOP\/s/m.exec(r.stdout)?.[1]);
    expect(peak).toBeGreaterThan(0);
    const rows = r.stdout.split('\n').filter((l) => /µs|^784|^conv|^pool/.test(l) && !l.startsWith('kernel'));
    expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual([
      '784-30-10, m 10, layer 2: z = W·a', '784-30-10, m 10, layer 2: ∇W = δ·aᵀ (BP4)',
      '784-30-10, m 10, layer 3: z = W·a', '784-30-10, m 10, layer 3: ∇W = δ·aᵀ (BP4)', '784-30-10, m 10, layer 3: Wᵀ·δ (BP2)',
      'conv 4 5x5 on 1×28×28, m 10: im2col', 'conv 4 5x5 on 1×28×28, m 10: W·patches',
      'conv 4 5x5 on 1×28×28, m 10: z + b, reorder', 'conv 4 5x5 on 1×28×28, m 10: ∇b, reorder δ', 'conv 4 5x5 on 1×28×28, m 10: ∇W = δ·patchesᵀ',
      'pool 2 on 4×24×24, m 10: forward', 'pool 2 on 4×24×24, m 10: backward',
      'conv 6 3x3 on 4×12×12, m 10: im2col', 'conv 6 3x3 on 4×12×12, m 10: W·patches',
      'conv 6 3x3 on 4×12×12, m 10: z + b, reorder', 'conv 6 3x3 on 4×12×12, m 10: ∇b, reorder δ', 'conv 6 3x3 on 4×12×12, m 10: ∇W = δ·patchesᵀ',
      'conv 6 3x3 on 4×12×12, m 10: Wᵀ·δ', 'conv 6 3x3 on 4×12×12, m 10: col2im',
      'pool 2 on 6×10×10, m 10: forward', 'pool 2 on 6×10×10, m 10: backward',
    ]);
    // a gemm's GFLOP/s is its FLOP over its time: 2·30·784·10 for the first
    const [, , us, gflops] = rows[0].split(/\s{2,}/);
    expect(Number(gflops)).toBeCloseTo((2 * 30 * 784 * 10) / (Number(us) * 1e-6) / 1e9, 0);
  });

  it('--peers: digitnet beside numpy and PyTorch where Python has them, with the ratios (or how to install them)', () => {
    const r = run('bench', ['--peers', '--hidden', '30', '--batch-size', '10', '--layers', 'fc 10 relu, softmax 10', '--seconds', '0.1', '--rounds', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digitnet bench --peers: .*, \d+ cores, Node v\d+/m);
    expect(r.stdout).toMatch(/^(numpy: |no Python with numpy or torch found)/m);
    const header = r.stdout.split('\n').find((l) => l.startsWith('network'))!;
    expect(header).toContain('digitnet 1T');
    const row = r.stdout.split('\n').find((l) => l.startsWith('784-30-10, sigmoid, quadratic'))!;
    const figures = row.slice(34).trim().split(/\s+/);
    expect(Number(figures[1].replace(/,/g, ''))).toBeGreaterThan(0); // digitnet 1T's samples/s
    if (availableParallelism() > 1) {
      // two one-thread processes timed at once, added up, and both scalings beside each other
      expect(header).toMatch(/digitnet 2T +2 procs +/);
      expect(header).toMatch(/2T\/1T +2 procs\/1T$/);
      const [one, , pair] = figures.slice(1, 4).map((f) => Number(f.replace(/,/g, '')));
      expect(pair).toBeGreaterThan(0);
      expect(figures[figures.length - 1]).toMatch(/^\d+\.\d\d×$/);
      expect(Math.abs(parseFloat(figures[figures.length - 1]) - pair / one)).toBeLessThanOrEqual(0.01); // from the unrounded figures
    }
    expect(r.stdout.split('\n').some((l) => l.startsWith('layers (fc 10 relu, softmax 10)'))).toBe(true);
  }, 120_000);

  it('--busy-core: 1 and 2 threads in turns beside a spinning process, the ratio from the two figures, and the spinner gone after', () => {
    const r = run('bench', ['--busy-core', '--hidden', '30', '--batch-size', '10', '--layers', 'fc 10 relu, softmax 10', '--seconds', '0.1', '--rounds', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digitnet bench --busy-core: .*, \d+ cores, Node v\d+/m);
    const pid = Number(/a spinning process \(pid (\d+)\)/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(); // killed when the bench ended
    const row = r.stdout.split('\n').find((l) => l.startsWith('784-30-10, sigmoid, quadratic'))!;
    const [one, two, ratio] = row.slice(34).trim().split(/\s+/).slice(1);
    const [a, b] = [Number(one.replace(/,/g, '')), Number(two.replace(/,/g, ''))];
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(ratio).toMatch(/^\d+\.\d\d×$/);
    expect(Math.abs(parseFloat(ratio) - b / a)).toBeLessThanOrEqual(0.006); // from the unrounded figures
  }, 120_000);

  it('a bad description exits 2 naming the token', () => {
    const r = run('bench', ['--layers', 'conv 5 5x5 relu, poll 2, softmax 10']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "bench: --layers: layer 2 'poll 2': unknown layer 'poll' (expected conv, pool, fc, dropout, bn, softmax or sigmoid); or a preset: ch6-fc, ch6-conv1, ch6-conv2, ch6-relu, ch6-expanded, ch6-dropout, fast, best",
    );
  });
});
