// The update rules (nn/optimizers/): each against its float64 twin in
// tests/reference.ts, with L2 and dropout's gradient weight; their state in a
// checkpoint (bytes, damaged files); a run resumed from a checkpoint ending
// bit-identical to one that never stopped, for every rule and schedule; threads
// (fully-connected: the same weights on 1 and 2 threads); the learning-rate
// schedules.

import { describe, expect, it } from 'vitest';
import { makeOptimizer, OPTIMIZER_NAMES, type OptimizerName, type OptimizerSettings } from '../src/nn/optimizers/index.js';
import { decodeOptimizerState, encodeOptimizerState, restoreOptimizerState } from '../src/nn/optimizers/checkpoint.js';
import { etaAt, type LrSchedule } from '../src/nn/schedules.js';
import { LayerStack } from '../src/nn/stack.js';
import { Network } from '../src/nn/network.js';
import { CrossEntropyCost } from '../src/nn/costs.js';
import { sgd } from '../src/nn/sgd.js';
import { ThreadedSteps } from '../src/nn/parallel/threads.js';
import { sharedBackend } from '../src/backend.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { Rng } from '../src/rng.js';
import { randomImages } from './fixtures.js';
import { expectAllClose, randomArray, refOptimizerStep } from './reference.js';

const settings = (name: OptimizerName, extra: Partial<OptimizerSettings> = {}): Partial<OptimizerSettings> => ({
  name, lambda: 3, n: 200, momentum: name === 'momentum' || name === 'nesterov' ? 0.8 : 0, ...extra,
});

describe('each rule against its float64 twin', () => {
  for (const name of OPTIMIZER_NAMES) {
    it(`${name}: four steps of weights (decayed, after dropout's (1 − p)²) and biases`, () => {
      const rng = new Rng(7);
      const opt = makeOptimizer(settings(name));
      const n = 37; // not a multiple of 4: the WebAssembly kernels' tails too
      const params = randomArray(rng, 2 * n);
      const grads = new Float32Array(2 * n);
      opt.bind(2 * n, (k) => new Float32Array(k));
      const wRange = opt.views(params, grads, { from: 0, to: n, decay: true, scale: 0.49 });
      const bRange = opt.views(params, grads, { from: n, to: 2 * n, decay: false, scale: 1 });
      const w = Array.from(params.subarray(0, n));
      const b = Array.from(params.subarray(n));
      const stateW = [new Array(n).fill(0), new Array(n).fill(0)];
      const stateB = [new Array(n).fill(0), new Array(n).fill(0)];
      const r = { ...opt.settings };
      for (let t = 1; t <= 4; t++) {
        grads.set(randomArray(rng, 2 * n, 3));
        const [eta, m] = [name.startsWith('adam') ? 0.01 : 0.3, 5];
        opt.begin();
        opt.step(wRange, eta, m);
        opt.step(bRange, eta, m);
        refOptimizerStep(r, w, Array.from(grads.subarray(0, n)), stateW, t, eta, m, true, 0.49);
        refOptimizerStep(r, b, Array.from(grads.subarray(n)), stateB, t, eta, m, false);
        expectAllClose(params.subarray(0, n), w, 1e-5, 1e-5, `${name} weights, step ${t}`);
        expectAllClose(params.subarray(n), b, 1e-5, 1e-5, `${name} biases, step ${t}`);
      }
      expect(opt.steps).toBe(4);
    });
  }

  it("Adam's first step moves every weight by about η, whatever the gradient's size (the bias correction)", () => {
    const opt = makeOptimizer({ name: 'adam' });
    const params = new Float32Array(3);
    const grads = Float32Array.from([1e-3, -50, 7]);
    opt.bind(3, (k) => new Float32Array(k));
    opt.begin();
    opt.step(opt.views(params, grads, { from: 0, to: 3, decay: true, scale: 1 }), 0.01, 1);
    expectAllClose(params, [-0.01, 0.01, -0.01], 1e-4, 1e-4, 'first Adam step');
  });

  it('a stack steps its weights and biases as ranges: adamw decays the weights only', () => {
    const net = new LayerStack('fc 4 relu, softmax 3', { c: 5, h: 1, w: 1 });
    net.init(new Rng(2));
    net.optimizer = makeOptimizer({ name: 'adamw', lambda: 1000, n: 1 });
    const before = net.params.slice();
    net.grads.fill(0); // no gradient: AdamW's step is its decay alone
    (net as unknown as { step(eta: number, m: number): void }).step(0.001, 1);
    const weights = new Set<number>();
    for (const r of net.ranges) if (r.decay) for (let i = r.from; i < r.to; i++) weights.add(i);
    for (let i = 0; i < before.length; i++) expect(net.params[i]).toBeCloseTo(weights.has(i) ? before[i] * (1 - 0.001 * 1000) : before[i], 6);
  });

  it('refuses what does not make sense, in one line', () => {
    expect(() => makeOptimizer({ name: 'adam', momentum: 0.9 })).toThrow('adam takes no momentum (it keeps its own averages)');
    expect(() => makeOptimizer({ name: 'nesterov' as OptimizerName, momentum: 1 })).toThrow(/momentum must be from 0 up to/);
    expect(() => makeOptimizer({ name: 'rmsprop' as OptimizerName })).toThrow("unknown optimizer 'rmsprop'");
    expect(makeOptimizer({ name: 'sgd', momentum: 0.5 }).settings.name).toBe('momentum');
  });
});

describe('optimizer state in a checkpoint', () => {
  it('round-trips through bytes: settings, step count, every array', () => {
    const opt = makeOptimizer({ name: 'adam', lambda: 2, n: 100 });
    opt.bind(10, (k) => new Float32Array(k));
    opt.state[0].set(randomArray(new Rng(1), 10));
    opt.state[1].set(randomArray(new Rng(2), 10));
    opt.steps = 1234;
    const d = decodeOptimizerState(encodeOptimizerState(opt, 10), 10, 'x.optimizer.bin');
    expect(d.settings).toEqual(opt.settings);
    expect(d.steps).toBe(1234);
    const other = makeOptimizer({ name: 'adam' });
    other.bind(10, (k) => new Float32Array(k));
    expect(restoreOptimizerState(other, d)).toBe(true);
    expect(other.state.map((a) => Array.from(a))).toEqual(opt.state.map((a) => Array.from(a)));
    const wrong = makeOptimizer({ name: 'momentum', momentum: 0.5 });
    wrong.bind(10, (k) => new Float32Array(k));
    expect(restoreOptimizerState(wrong, d)).toBe(false);
  });

  it('says what is wrong with a damaged or foreign file', () => {
    const opt = makeOptimizer({ name: 'nesterov', momentum: 0.9 });
    opt.bind(8, (k) => new Float32Array(k));
    const bytes = encodeOptimizerState(opt, 8);
    expect(() => decodeOptimizerState(bytes.subarray(0, bytes.length - 4), 8, 'f')).toThrow(/^f: \d+ bytes, expected \d+: cut short or damaged$/);
    expect(() => decodeOptimizerState(bytes, 9, 'f')).toThrow('f: it holds state for 8 parameters; this network has 9');
    expect(() => decodeOptimizerState(new TextEncoder().encode('{"a":1}'), 8, 'f')).toThrow('f: not an optimizer state file');
  });
});

describe('a resumed run ends as one that never stopped, for every rule', () => {
  const train = randomImages(41, 50, 6, 6);
  const spec = 'fc 12 tanh, dropout 0.2, softmax 10';
  const image = { c: 1, h: 6, w: 6 };

  function run(name: OptimizerName, schedule: LrSchedule, stopAfter: number | null, restore: boolean) {
    const eta = name.startsWith('adam') ? 0.01 : 0.2;
    const options = { miniBatchSize: 8, eta, lambda: 1, momentum: settings(name).momentum, optimizer: { name }, schedule, epochs: 3 };
    const net = new LayerStack(spec, image);
    net.init(new Rng(3));
    const rng = new Rng(4);
    sgd(net, train, { ...options, rng, onEpoch: (r) => r.epoch !== stopAfter });
    if (stopAfter === null) return net.params;
    // the checkpoint: parameters, generator state, optimizer state as bytes
    const saved = { params: net.params.slice(), rng: rng.state(), state: encodeOptimizerState(net.optimizer, net.params.length) };
    const resumed = new LayerStack(spec, image);
    resumed.params.set(saved.params);
    resumed.optimizer = makeOptimizer({ ...options.optimizer, lambda: 1, n: train.count, momentum: options.momentum });
    if (restore) restoreOptimizerState(resumed.optimizer, decodeOptimizerState(saved.state, net.params.length, 'ckpt'));
    sgd(resumed, train, { ...options, rng: Rng.fromState(saved.rng), firstEpoch: stopAfter + 1 });
    return resumed.params;
  }

  for (const name of ['momentum', 'nesterov', 'adam', 'adamw'] as const) {
    const schedule: LrSchedule = name === 'adamw' ? 'one-cycle' : name === 'nesterov' ? 'cosine' : 'constant';
    it(`${name} (${schedule} η): stopped after epoch 1 and resumed, bit for bit; without its state, not`, () => {
      const whole = Array.from(run(name, schedule, null, true));
      expect(Array.from(run(name, schedule, 1, true))).toEqual(whole);
      expect(Array.from(run(name, schedule, 1, false))).not.toEqual(whole);
    });
  }
});

describe('threads', () => {
  it('a fully-connected network with Adam: the same weights on 1 and 2 threads', async () => {
    const train = randomImages(43, 64, 28, 28);
    const go = async (T: number) => {
      const net = Network.random([784, 16, 10], new Rng(9), { cost: CrossEntropyCost, backend: await sharedBackend('wasm'), init: 'default' });
      net.optimizer = makeOptimizer({ name: 'adam', lambda: 2, n: train.count });
      const threads = T > 1 ? await ThreadedSteps.start(net, train, [10, 4], T, spawnNodeThread) : undefined;
      try {
        sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.005, lambda: 2, rng: new Rng(10), optimizer: { name: 'adam' }, threads });
      } finally {
        await threads?.close();
      }
      return Array.from(net.params);
    };
    const one = await go(1);
    expect(await go(2)).toEqual(one);
  });
});

describe('learning-rate schedules', () => {
  it('cosine runs from η down to 0; one-cycle rises from η/25 to η at 30% of the steps, then falls to η/250000', () => {
    const S = 1000;
    expect(etaAt('constant', 0.1, 500, S)).toBe(0.1);
    expect(etaAt('cosine', 0.1, 0, S)).toBe(0.1);
    expect(etaAt('cosine', 0.1, 500, S)).toBeCloseTo(0.05, 12);
    expect(etaAt('cosine', 0.1, 999, S)).toBeLessThan(1e-5);
    expect(etaAt('one-cycle', 0.1, 0, S)).toBeCloseTo(0.004, 12);
    expect(etaAt('one-cycle', 0.1, 299, S)).toBeCloseTo(0.1, 12);
    expect(etaAt('one-cycle', 0.1, 999, S)).toBeCloseTo(0.1 / 25 / 1e4, 12);
    let peak = 0;
    for (let s = 0; s < S; s++) peak = Math.max(peak, etaAt('one-cycle', 0.1, s, S));
    expect(peak).toBe(0.1);
  });
});
