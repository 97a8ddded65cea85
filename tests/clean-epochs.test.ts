// Clean epochs (--clean-epochs): the last epochs of a run on the training
// images as they are, after distorted ones, with the optimizer started afresh
// and η on a cosine of its own. The reference twin is the same run spelled
// out by hand: sgd over the distorted epochs, optimizer.reset(), then sgd
// with no augmentation and the cosine schedule on the same generator.

import { afterAll, describe, expect, it } from 'vitest';
import { sharedBackend } from '../src/backend.js';
import { AUGMENT_DEFAULTS } from '../src/data/augment.js';
import { makeOptimizer } from '../src/nn/optimizers/index.js';
import { ThreadedSteps } from '../src/nn/parallel/threads.js';
import { checkClean, sgd, type SgdOptions } from '../src/nn/sgd.js';
import { LayerStack } from '../src/nn/stack.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { Rng } from '../src/rng.js';
import { randomImages } from './fixtures.js';

const train = randomImages(3, 123, 28, 28); // 12 mini-batches of 10 and one of 3
const augment = { settings: AUGMENT_DEFAULTS, seed: 11 };
const SPEC = 'fc 24 relu, softmax 10';
const open: ThreadedSteps[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
});

async function fresh(): Promise<{ net: LayerStack; rng: Rng }> {
  const rng = new Rng(8);
  const net = new LayerStack(SPEC, undefined, await sharedBackend('wasm'));
  net.init(rng);
  net.optimizer = makeOptimizer({ name: 'adam', lambda: 0, n: train.count, momentum: 0 });
  return { net, rng };
}

const base = (rng: Rng): SgdOptions => ({
  epochs: 4, miniBatchSize: 10, eta: 0.004, rng, optimizer: { name: 'adam' }, schedule: 'one-cycle', augment, clean: { epochs: 2, eta: 0.001 },
});

describe('clean epochs', () => {
  it('are the distorted epochs, a reset optimizer and cosine epochs on the undistorted images, bit for bit', async () => {
    const a = await fresh();
    const etas: number[] = [];
    sgd(a.net, train, { ...base(a.rng), onEpoch: (r) => void etas.push(r.eta) });

    const b = await fresh();
    sgd(b.net, train, { ...base(b.rng), epochs: 2, clean: undefined });
    expect(b.net.optimizer.steps).toBe(26);
    b.net.optimizer.reset();
    expect(b.net.optimizer.steps).toBe(0);
    expect(b.net.optimizer.state.every((s) => s.every((v) => v === 0))).toBe(true);
    sgd(b.net, train, { epochs: 2, miniBatchSize: 10, eta: 0.001, rng: b.rng, optimizer: { name: 'adam' }, schedule: 'cosine' });
    expect(Array.from(a.net.params)).toEqual(Array.from(b.net.params));
    expect(a.net.optimizer.steps).toBe(26); // counted from the reset

    // the one-cycle curve ran over the two distorted epochs, the cosine from 0.001 over the two clean ones
    expect(etas[0]).toBeCloseTo(0.004 / 25, 9);
    expect(etas[2]).toBe(0.001);
    expect(etas[3]).toBeCloseTo(0.0005, 9);

    // without the reset, or with the images distorted, the weights differ
    const c = await fresh();
    sgd(c.net, train, { ...base(c.rng), epochs: 2, clean: undefined });
    sgd(c.net, train, { epochs: 2, miniBatchSize: 10, eta: 0.001, rng: c.rng, optimizer: { name: 'adam' }, schedule: 'cosine' });
    expect(Array.from(c.net.params)).not.toEqual(Array.from(a.net.params));
    const d = await fresh();
    sgd(d.net, train, { ...base(d.rng), epochs: 2, clean: undefined });
    d.net.optimizer.reset();
    sgd(d.net, train, { epochs: 2, miniBatchSize: 10, eta: 0.001, rng: d.rng, optimizer: { name: 'adam' }, schedule: 'cosine', augment });
    expect(Array.from(d.net.params)).not.toEqual(Array.from(a.net.params));
  });

  it('a run stopped before or within the clean epochs and resumed gives the uninterrupted weights (the reset once, at the first clean epoch)', async () => {
    const whole = await fresh();
    sgd(whole.net, train, base(whole.rng));
    for (const stopAfter of [2, 3]) {
      const part = await fresh();
      sgd(part.net, train, { ...base(part.rng), onEpoch: (r) => r.epoch < stopAfter });
      sgd(part.net, train, { ...base(part.rng), firstEpoch: stopAfter + 1 });
      expect(Array.from(part.net.params)).toEqual(Array.from(whole.net.params));
    }
  });

  it('2 and 3 threads gather the clean epochs undistorted too: the 1-thread weights, bit for bit', async () => {
    const one = await fresh();
    sgd(one.net, train, base(one.rng));
    for (const T of [2, 3]) {
      const { net, rng } = await fresh();
      const threads = await ThreadedSteps.start(net, train, [10, 3], T, spawnNodeThread, undefined, { augment });
      open.push(threads);
      threads.adaptive = false; // every step on every thread
      sgd(net, train, { ...base(rng), threads });
      expect(Array.from(net.params)).toEqual(Array.from(one.net.params));
    }
  }, 60_000);

  it('are checked: fewer than the run\'s epochs, a positive η, after distorted ones', () => {
    expect(() => checkClean({ epochs: 4, eta: 0.001 }, 4, true)).toThrow("clean epochs are the last of the run's 4, after at least one distorted; got 4");
    expect(() => checkClean({ epochs: 1.5, eta: 0.001 }, 4, true)).toThrow('got 1.5');
    expect(() => checkClean({ epochs: 1, eta: 0 }, 4, true)).toThrow("the clean epochs' eta must be a positive number; got 0");
    expect(() => checkClean({ epochs: 1, eta: 0.001 }, 4, false)).toThrow('without augmentation every epoch is on the images as they are');
    expect(() => checkClean({ epochs: 3, eta: 0.001 }, 4, true)).not.toThrow();
    const { net, rng } = { net: new LayerStack(SPEC), rng: new Rng(1) };
    expect(() => sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.1, rng, clean: { epochs: 1, eta: 0.01 } })).toThrow('without augmentation');
  });
});
