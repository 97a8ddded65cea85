// npm run train's options as a module (src/node/train-options.ts), without a
// process: ranges, negative numbers, combinations, and the default name.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/node/cli.js';
import { parseTrainOptions, settingsInName, type NameSettings } from '../src/node/train-options.js';
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
    expect(o.threads).toBeGreaterThanOrEqual(1);
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
  });

  it('refuses what does not go together', () => {
    expect(fails(['--sizes', '784,10', '--hidden', '30'])).toBe('give --sizes or --hidden, not both');
    expect(fails(['--layers', 'fc 30, softmax 10', '--cost', 'quadratic'])).toMatch(/^--cost is for fully-connected networks/);
  });
});

describe('settingsInName', () => {
  const base: NameSettings = {
    layers: false, preset: undefined, stackPreset: undefined, cost: 'quadratic', activation: 'sigmoid', init: 'large', eta: 3, lambda: 0,
    momentum: 0, dropout: 0, miniBatchSize: 10, epochs: 30, trainSize: undefined, expand: false, evalSet: 'test', shuffle: true, dataset: 'mnist',
  };
  it("names nothing for chapter 1's run or a preset's own settings", () => {
    expect(settingsInName(base)).toEqual([]);
    const p = PRESETS['ch3-ce-30'] as FcPreset;
    expect(settingsInName({ ...base, preset: p, cost: p.cost, eta: p.eta, init: p.init ?? 'large', lambda: p.lambda ?? 0, epochs: p.epochs })).toEqual([]);
  });
  it('names each setting that differs', () => {
    expect(settingsInName({ ...base, cost: 'cross-entropy', eta: 0.5, trainSize: 1000, shuffle: false, dataset: 'fashion' }))
      .toEqual(['fashion', 'cross-entropy', 'eta0.5', 'train1000', 'no-shuffle']);
  });
});
