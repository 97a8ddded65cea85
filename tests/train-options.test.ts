// npm run train's options as a module (src/node/train-options.ts), without a
// process: ranges, negative numbers, combinations, and the default name.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/node/cli.js';
import { parseTrainOptions, resolveSettings, settingsInName, USAGE, type NameSettings } from '../src/node/train-options.js';
import type { StackPreset } from '../src/nn/presets.js';
import { OPTIMIZER_NAMES } from '../src/nn/optimizers/index.js';
import { LR_SCHEDULES } from '../src/nn/schedules.js';
import { parseModel, serializeModel, type TrainingMeta } from '../src/nn/model-file.js';
import { CrossEntropyCost, LogLikelihoodCost, QuadraticCost } from '../src/nn/costs.js';
import { Network } from '../src/nn/network.js';
import { Rng } from '../src/rng.js';
import { PRESETS, type FcPreset } from '../src/nn/presets.js';

const fails = (argv: string[]) => {
  try {
    parseTrainOptions(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
};

describe('parseTrainOptions', () => {
  it('leaves unset what the command line does not say (the resumed file or the preset decides)', () => {
    const o = parseTrainOptions([]);
    expect(o).toMatchObject({ epochs: undefined, batchSize: undefined, eta: undefined, seed: undefined, force: false, quiet: false, expand: false });
    expect(o.threads).toBe('auto');
    expect(parseTrainOptions(['--threads', 'auto']).threads).toBe('auto');
    expect(parseTrainOptions(['--threads', '3']).threads).toBe(3);
    expect(fails(['--threads', 'many'])).toBe("--threads must be an integer from 1 to 64; got 'many'");
    expect(parseTrainOptions(['--hidden', '100']).sizes).toEqual([784, 100, 10]);
    expect(parseTrainOptions(['--epochs', '3', '--force']).epochs).toBe(3);
  });

  it('says the range of a number out of it, negative ones included', () => {
    expect(fails(['--epochs', '-1'])).toBe("--epochs must be an integer from 1 to 100000; got '-1'");
    expect(fails(['--epochs', '1e12'])).toBe("--epochs must be an integer from 1 to 100000; got '1e12'");
    expect(fails(['--batch-size', '1e9'])).toBe("--batch-size must be an integer from 1 to 60000; got '1e9'");
    expect(fails(['--threads', '99'])).toBe("--threads must be an integer from 1 to 64; got '99'");
    expect(fails(['--hidden', '1e7'])).toBe('--hidden: sizes[1] must be an integer from 1 to 1048576; got 10000000');
    expect(fails(['--lambda', '-0.5'])).toBe("--lambda must be a number ≥ 0; got '-0.5'");
    expect(fails(['--label-smoothing', '1'])).toBe("--label-smoothing must be less than 1 (1 would leave no trace of the label); got '1'");
    expect(fails(['--label-smoothing', 'some'])).toBe("--label-smoothing must be a number ≥ 0; got 'some'");
    expect(parseTrainOptions(['--label-smoothing', '0.1']).labelSmoothing).toBe(0.1);
  });

  it('refuses what does not go together', () => {
    expect(fails(['--sizes', '784,10', '--hidden', '30'])).toBe('give --sizes or --hidden, not both');
    expect(fails(['--layers', 'fc 30, softmax 10', '--cost', 'quadratic'])).toMatch(/^--cost is for fully-connected networks/);
  });
});

describe('--help', () => {
  it('lists every optimizer, schedule and batch norm', () => {
    for (const name of [...OPTIMIZER_NAMES, ...LR_SCHEDULES]) expect(USAGE).toContain(`'${name}'`);
    for (const flag of ['--optimizer sgd', '--schedule constant', '--batch-norm', 'bn [act]']) expect(USAGE).toContain(flag);
  });
});

describe('settingsInName', () => {
  const base: NameSettings = {
    layers: false, preset: undefined, stackPreset: undefined, cost: 'quadratic', activation: 'sigmoid', init: 'large', eta: 3, lambda: 0,
    momentum: 0, optimizer: 'sgd', schedule: 'constant', dropout: 0, miniBatchSize: 10, epochs: 30, trainSize: undefined, expand: false, augment: false, evalSet: 'test', shuffle: true, dataset: 'mnist',
  };
  it("names nothing for chapter 1's run or a preset's own settings", () => {
    expect(settingsInName(base)).toEqual([]);
    const p = PRESETS['ch3-ce-30'] as FcPreset;
    expect(settingsInName({ ...base, preset: p, cost: p.cost, eta: p.eta, init: p.init ?? 'large', lambda: p.lambda ?? 0, epochs: p.epochs })).toEqual([]);
    const fast = PRESETS.fast as StackPreset;
    expect(settingsInName({ ...base, layers: true, stackPreset: fast, cost: 'log-likelihood', init: 'default', eta: 0.004, optimizer: 'adam', schedule: 'one-cycle', labelSmoothing: 0.1, miniBatchSize: 64, epochs: 3 })).toEqual([]);
    expect(settingsInName({ ...base, layers: true, stackPreset: fast, cost: 'log-likelihood', init: 'default', eta: 0.004, optimizer: 'adam', schedule: 'one-cycle', labelSmoothing: 0, miniBatchSize: 64, epochs: 3 })).toEqual(['smooth0']);
  });
  it('names each setting that differs', () => {
    expect(settingsInName({ ...base, cost: 'cross-entropy', eta: 0.5, trainSize: 1000, shuffle: false, dataset: 'fashion' }))
      .toEqual(['fashion', 'cross-entropy', 'eta0.5', 'train1000', 'no-shuffle']);
    expect(settingsInName({ ...base, momentum: 0.9, optimizer: 'nesterov', schedule: 'one-cycle' })).toEqual(['mu0.9', 'nesterov', 'one-cycle']);
    expect(settingsInName({ ...base, momentum: 0.5, optimizer: 'momentum' })).toEqual(['mu0.5']);
    expect(settingsInName({ ...base, expand: true, augment: true, redrawn: true })).toEqual(['expanded', 'augmented', 'redrawn']);
    expect(settingsInName({ ...base, redrawn: true, traceScale: 4 })).toEqual(['redrawn', 'trace4']);
    expect(settingsInName({ ...base, redrawn: true, traceScale: 4, outlineBlobs: true })).toEqual(['redrawn', 'trace4', 'outlined']);
    expect(settingsInName({ ...base, dropout: 0.5, labelSmoothing: 0.1, miniBatchSize: 64 })).toEqual(['dropout0.5', 'smooth0.1', 'mb64']);
    expect(settingsInName({ ...base, labelSmoothing: 0 })).toEqual([]);
    expect(settingsInName({ ...base, augment: true, cleanEpochs: 2, cleanEta: 0.75 })).toEqual(['augmented', 'clean2']); // η/4, the default
    expect(settingsInName({ ...base, augment: true, cleanEpochs: 2, cleanEta: 0.1 })).toEqual(['augmented', 'clean2', 'cleaneta0.1']);
    const best = PRESETS.best as StackPreset;
    const bestRun = { ...base, layers: true, stackPreset: best, cost: 'log-likelihood', init: 'default', eta: 0.004, optimizer: 'adam', schedule: 'one-cycle', labelSmoothing: 0.1, miniBatchSize: 64, epochs: 12, augment: true } as const;
    expect(settingsInName({ ...bestRun, cleanEpochs: 1, cleanEta: 0.0003 })).toEqual([]);
    expect(settingsInName({ ...bestRun, cleanEpochs: 0, cleanEta: 0.0003 })).toEqual(['clean0']);
  });
});

describe('resolveSettings: the command line, else the resumed run, else the preset, else chapter 1', () => {
  const meta: TrainingMeta = {
    seed: 7, epochs: 10, epochsCompleted: 4, miniBatchSize: 20, eta: 0.5, shuffle: true, trainSize: 1000, evaluatedOn: 'validation',
    history: [], best: null, rngState: [1, 2, 3, 4], data: 'x', init: 'default', lambda: 2, momentum: 0.5,
  };
  const saved = parseModel(serializeModel(Network.random([784, 5, 10], new Rng(1), { cost: CrossEntropyCost }), meta), 'run.json');
  const resolve = (argv: string[], loaded = null as typeof saved | null) => resolveSettings(parseTrainOptions(argv), loaded);

  it("starts from chapter 1's run", () => {
    expect(resolve([])).toMatchObject({ sizes: [784, 30, 10], epochs: 30, miniBatchSize: 10, eta: 3, seed: 1, evalSet: 'test', init: 'large', lambda: 0, cost: QuadraticCost, layers: undefined, epochsDone: 0 });
  });
  it("takes a preset's settings, and the command line over them", () => {
    expect(resolve(['--preset', 'ch3-ce-30'])).toMatchObject({ eta: 0.5, cost: CrossEntropyCost });
    expect(resolve(['--preset', 'ch3-ce-30', '--eta', '1'])).toMatchObject({ eta: 1, cost: CrossEntropyCost });
    expect(resolve(['--preset', 'ch6-relu']).layers).toBe((PRESETS['ch6-relu'] as { layers: string }).layers);
    // beyond the book: the preset's rule, schedule and η (not Adam's default η), each overridable
    expect(resolve(['--preset', 'fast'])).toMatchObject({ optimizer: 'adam', schedule: 'one-cycle', eta: 0.004, miniBatchSize: 64, epochs: 3, augment: false });
    expect(resolve(['--preset', 'fast', '--optimizer', 'adamw'])).toMatchObject({ optimizer: 'adamw', eta: 0.001 });
    expect(resolve(['--preset', 'fast', '--schedule', 'cosine', '--augment'])).toMatchObject({ schedule: 'cosine', augment: true });
    // `best` distorts its images by itself
    expect(resolve(['--preset', 'best'])).toMatchObject({ optimizer: 'adam', schedule: 'one-cycle', eta: 0.004, miniBatchSize: 64, epochs: 12, augment: true, cleanEpochs: 1, cleanEta: 0.0003, totalEpochs: 13 });
    expect(resolve(['--preset', 'best']).layers).toBe('conv 32 5x5 relu, pool 2, conv 64 5x5 relu, pool 2, fc 256 relu, softmax 10');
  });
  it('takes a resumed run\'s settings, and the command line over them', () => {
    expect(resolve(['--resume', 'run.json'], saved)).toMatchObject({ sizes: [784, 5, 10], epochs: 10, miniBatchSize: 20, eta: 0.5, seed: 7, evalSet: 'validation', init: 'default', lambda: 2, momentum: 0.5, cost: CrossEntropyCost, epochsDone: 4 });
    expect(resolve(['--resume', 'run.json', '--eta', '0.1', '--epochs', '12'], saved)).toMatchObject({ eta: 0.1, epochs: 12, seed: 7 });
  });
  it('refuses what does not go with the resumed run', () => {
    expect(() => resolve(['--resume', 'run.json', '--sizes', '784,30,10'], saved)).toThrow('--sizes 784,30,10 does not match run.json, a 784-5-10 network');
    expect(() => resolve(['--resume', 'run.json', '--epochs', '4'], saved)).toThrow('run.json has finished 4 of 4 epochs; pass --epochs N with N > 4 to train more');
    expect(() => resolve(['--resume', 'run.json', '--cost', 'quadratic'], saved)).toThrow('run.json was trained with CrossEntropyCost and sigmoid; a resumed run keeps them');
    expect(() => resolve(['--init', 'network3'])).toThrow(UsageError);
    expect(() => resolve(['--init', 'he'])).toThrow('--init he is for layer stacks (--layers)');
    expect(resolve(['--preset', 'best', '--init', 'he']).init).toBe('he');
  });
  it('clean epochs: from the command line, the resumed run or the preset; after --epochs, which are distorted', () => {
    expect(resolve([])).toMatchObject({ cleanEpochs: 0, epochs: 30, totalEpochs: 30 });
    expect(resolve(['--preset', 'best', '--clean-epochs', '0'])).toMatchObject({ cleanEpochs: 0, epochs: 12, totalEpochs: 12 });
    expect(resolve(['--preset', 'best', '--epochs', '20'])).toMatchObject({ cleanEpochs: 1, epochs: 20, totalEpochs: 21 });
    expect(resolve(['--preset', 'best', '--clean-epochs', '2', '--clean-eta', '0.0005'])).toMatchObject({ cleanEpochs: 2, cleanEta: 0.0005, totalEpochs: 14 });
    expect(resolve(['--augment', '--epochs', '5', '--clean-epochs', '2', '--eta', '2'])).toMatchObject({ cleanEpochs: 2, cleanEta: 0.5, totalEpochs: 7 }); // η/4
    expect(() => resolve(['--epochs', '5', '--clean-epochs', '2'])).toThrow('--clean-epochs 2: the clean epochs follow distorted ones, and without --augment every epoch is on the images as they are; add --augment or drop --clean-epochs');
    expect(() => resolve(['--augment', '--epochs', '99999', '--clean-epochs', '2'])).toThrow('--epochs and --clean-epochs come to 100001 epochs, more than 100000');
    expect(() => resolve(['--augment', '--clean-eta', '0.1'])).toThrow('--clean-eta sets η of the clean epochs; add --clean-epochs N');
    expect(fails(['--clean-epochs', '-1'])).toContain('--clean-epochs');
    expect(fails(['--clean-eta', '0'])).toContain('--clean-eta');
    const cleaned = parseModel(serializeModel(Network.random([784, 5, 10], new Rng(1), { cost: CrossEntropyCost }), { ...meta, augment: { rotate: 12, scale: 0.12, shear: 0.15, shift: 2, elastic: 0.8, grid: 7, width: 0.2 }, cleanEpochs: 3, cleanEta: 0.02 }), 'run.json');
    expect(cleaned.meta).toMatchObject({ cleanEpochs: 3, cleanEta: 0.02 });
    // the file's 10 epochs are 7 distorted and 3 clean; 4 are done
    expect(resolve(['--resume', 'run.json'], cleaned)).toMatchObject({ cleanEpochs: 3, cleanEta: 0.02, augment: true, epochs: 7, totalEpochs: 10 });
    expect(resolve(['--resume', 'run.json', '--clean-epochs', '1'], cleaned)).toMatchObject({ cleanEpochs: 1, epochs: 7, totalEpochs: 8 });
    expect(() => resolve(['--resume', 'run.json', '--epochs', '1'], cleaned)).toThrow('run.json has finished 4 of 4 epochs; pass --epochs N with N > 1 to train more');
    expect(() => parseModel(serializeModel(Network.random([784, 5, 10], new Rng(1)), { ...meta, cleanEpochs: 10, cleanEta: 0.02 }), 'bad.json')).toThrow('meta.cleanEpochs must be an integer from 0 to 9; got 10');
    expect(() => parseModel(serializeModel(Network.random([784, 5, 10], new Rng(1)), { ...meta, cleanEpochs: 1, cleanEta: -1 }), 'bad.json')).toThrow('meta.cleanEta must be a number ≥ 0; got -1');
  });
  it('label smoothing: from the command line or the resumed run, for a softmax output only', () => {
    expect(resolve([]).labelSmoothing).toBe(0);
    expect(resolve(['--preset', 'best']).labelSmoothing).toBe(0.1);
    expect(resolve(['--preset', 'best', '--label-smoothing', '0']).labelSmoothing).toBe(0);
    expect(resolve(['--layers', 'fc 30 relu, softmax 10', '--label-smoothing', '0.1']).labelSmoothing).toBe(0.1);
    expect(resolve(['--output', 'softmax', '--label-smoothing', '0.05']).labelSmoothing).toBe(0.05);
    const smoothed = parseModel(serializeModel(Network.random([784, 5, 10], new Rng(1), { cost: LogLikelihoodCost }), { ...meta, labelSmoothing: 0.2 }), 'run.json');
    expect(resolve(['--resume', 'run.json'], smoothed).labelSmoothing).toBe(0.2);
    expect(resolve(['--resume', 'run.json', '--label-smoothing', '0'], smoothed).labelSmoothing).toBe(0);
    expect(() => resolve(['--label-smoothing', '0.1'])).toThrow("--label-smoothing smooths the targets of a softmax output layer; this network's output is a sigmoid (use --output softmax)");
    expect(() => resolve(['--layers', 'fc 30 relu, sigmoid 10', '--label-smoothing', '0.1'])).toThrow('(use "softmax 10" as the last layer)');
  });
});
