// The chapter-1 network: backprop against finite differences, one SGD step
// against network.py's per-sample algorithm in float64, seeded runs
// bit-identical, evaluation and prediction.

import { describe, expect, it } from 'vitest';
import { gatherBatch } from '../src/data/dataset.js';
import { CrossEntropyCost, QuadraticCost } from '../src/nn/costs.js';
import { Network } from '../src/nn/network.js';
import { sgd } from '../src/nn/sgd.js';
import { Matrix } from '../src/tensor/matrix.js';
import { Rng } from '../src/rng.js';
import { randomImages } from './fixtures.js';
import { centralSlope, expectAllClose, gradientError, refFeedforward, refUpdateMiniBatch, type RefNet } from './reference.js';

function toRef(net: Network): RefNet {
  return {
    sizes: [...net.sizes],
    weights: net.weights.map((w) => w.toRows()),
    biases: net.biases.map((b) => Array.from(b.data)),
  };
}

function randomBatch(rng: Rng, nIn: number, nOut: number, m: number, order: 'row' | 'col' = 'col'): { x: Matrix; y: Matrix } {
  const x = new Matrix(nIn, m, undefined, order);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform();
  const y = new Matrix(nOut, m, undefined, order);
  for (let j = 0; j < m; j++) y.set(rng.below(nOut), j, 1);
  return { x, y };
}

describe('backprop', () => {
  for (const [sizes, cost] of [
    [[4, 5, 3], QuadraticCost],
    [[3, 6, 4, 2], QuadraticCost],
    [[5, 3], QuadraticCost],
    [[4, 5, 3], CrossEntropyCost],
  ] as const) {
    it(`matches central finite differences for ${sizes.join('-')} with ${cost.name}`, () => {
      const rng = new Rng(sizes.length * 100 + sizes[1]);
      const net = Network.random(sizes, rng, { cost });
      const m = 3;
      const { x, y } = randomBatch(rng, sizes[0], sizes[sizes.length - 1], m);
      const C = () => {
        const out = net.feedforward(x);
        return cost.fn(out.data, y.data, out.size);
      };
      net.backprop(x, y);
      const analytic = net.grads.slice();
      const eps = 1e-2;
      let worst = 0;
      for (let i = 0; i < net.params.length; i++) {
        const saved = net.params[i];
        const numeric = centralSlope(net.params, i, eps, C);
        expect(net.params[i]).toBe(saved); // value restored exactly
        worst = Math.max(worst, gradientError(numeric, analytic[i]));
      }
      expect(worst).toBeLessThan(2e-3);
    });
  }

  it('fails the gradient check when an equation is wrong (the check can fail)', () => {
    const rng = new Rng(9);
    const net = Network.random([4, 5, 3], rng);
    const { x, y } = randomBatch(rng, 4, 3, 2);
    net.backprop(x, y);
    const good = net.grads.slice();
    // the same network with BP1 missing σ′: every gradient changes
    net.cost = { ...QuadraticCost, delta: (d, a, yy, n) => { for (let i = 0; i < n; i++) d[i] = a[i] - yy[i]; } };
    net.backprop(x, y);
    let differing = 0;
    for (let i = 0; i < good.length; i++) if (Math.abs(good[i] - net.grads[i]) > 1e-4) differing++;
    expect(differing).toBeGreaterThan(good.length / 2);
  });
});

describe('SGD step', () => {
  it('gives the weights network.py would (float64 reference, one sample at a time)', () => {
    const rng = new Rng(21);
    const net = Network.random([6, 4, 3], rng);
    const ref = toRef(net);
    const eta = 3.0;
    for (let step = 0; step < 3; step++) {
      const m = [2, 5, 1][step]; // includes a smaller last mini-batch
      const { x, y } = randomBatch(rng, 6, 3, m, step === 1 ? 'row' : 'col'); // any storage order works
      net.updateMiniBatch(x, y, eta);
      const batch = Array.from({ length: m }, (_, j) => ({
        x: Array.from({ length: 6 }, (_, i) => x.get(i, j)),
        y: Array.from({ length: 3 }, (_, i) => y.get(i, j)),
      }));
      refUpdateMiniBatch(ref, batch, eta);
    }
    for (let l = 0; l < 2; l++) {
      expectAllClose(net.weights[l].data, ref.weights[l].flat(), 1e-5, 1e-4, `weights[${l}]`);
      expectAllClose(net.biases[l].data, ref.biases[l], 1e-5, 1e-4, `biases[${l}]`);
    }
    // and the same outputs as a float64 feedforward
    const probe = Array.from({ length: 6 }, (_, i) => i / 6);
    expectAllClose(net.predict(probe).output, refFeedforward(ref, probe), 1e-6, 1e-5, 'feedforward');
  });
});

describe('training runs', () => {
  const train = randomImages(1, 64, 4, 4, 3);
  const test = randomImages(2, 20, 4, 4, 3);

  function run(seed: number, miniBatchSize = 5) {
    const rng = new Rng(seed);
    const net = Network.random([16, 7, 3], rng);
    const results = sgd(net, train, { epochs: 3, miniBatchSize, eta: 0.5, rng, evaluation: test });
    return { net, results };
  }

  it('are bit-identical for the same seed and differ for another', () => {
    const a = run(5);
    const b = run(5);
    const c = run(6);
    const bits = (n: Network) => Array.from(new Uint32Array(n.params.buffer, n.params.byteOffset, n.params.length));
    expect(bits(a.net)).toEqual(bits(b.net));
    expect(a.results.map((r) => r.correct)).toEqual(b.results.map((r) => r.correct));
    expect(bits(a.net)).not.toEqual(bits(c.net));
  });

  it('resume from a saved Rng state as if never stopped', () => {
    const whole = run(8).net;
    const rng = new Rng(8);
    const net = Network.random([16, 7, 3], rng);
    sgd(net, train, { epochs: 1, miniBatchSize: 5, eta: 0.5, rng });
    const rng2 = Rng.fromState(rng.state());
    const copy = new Network([16, 7, 3], { params: net.params.slice() });
    sgd(copy, train, { epochs: 3, firstEpoch: 2, miniBatchSize: 5, eta: 0.5, rng: rng2 });
    expect(Array.from(copy.params)).toEqual(Array.from(whole.params));
  });

  it('evaluate counts argmax hits, checked against feedforward one sample at a time', () => {
    const { net } = run(3);
    let expected = 0;
    const x = new Matrix(16, 1);
    for (let s = 0; s < test.count; s++) {
      gatherBatch(x.data, null, 0, test, null, s, 1);
      if (net.predict(x.data).digit === test.labels[s]) expected++;
    }
    expect(net.evaluate(test, 7)).toBe(expected); // 7 does not divide 20
    expect(net.evaluate(test)).toBe(expected);
  });

  it('stops and reports when the weights become non-finite', () => {
    const rng = new Rng(1);
    const net = Network.random([16, 7, 3], rng);
    const results = sgd(net, train, { epochs: 5, miniBatchSize: 5, eta: 1e300, rng, evaluation: test });
    expect(results).toHaveLength(1);
    expect(results[0].finite).toBe(false);
    expect(results[0].correct).toBeNull();
  });
});

describe('gatherBatch', () => {
  it('puts sample order[start + j] in column j (column-major), scaled to [0, 1], with one-hot labels', () => {
    const set = randomImages(4, 6, 2, 2, 3);
    const x = new Matrix(4, 2, undefined, 'col');
    const y = new Matrix(3, 2, undefined, 'col');
    gatherBatch(x.data, y.data, 3, set, new Uint32Array([5, 2, 0]), 1, 2); // samples 2 and 0
    for (let p = 0; p < 4; p++) {
      expect(x.get(p, 0)).toBe(Math.fround(set.images[2 * 4 + p] / 255));
      expect(x.get(p, 1)).toBe(Math.fround(set.images[0 * 4 + p] / 255));
    }
    expect(y.get(set.labels[2], 0)).toBe(1);
    expect(y.get(set.labels[0], 1)).toBe(1);
    expect(y.data.reduce((s, v) => s + v, 0)).toBe(2);
  });
});

describe('Network', () => {
  it('draws its initial weights from N(0, 1) and keeps every W and b in one buffer', () => {
    const net = Network.random([784, 30, 10], new Rng(1));
    expect(net.params.length).toBe(784 * 30 + 30 + 30 * 10 + 10);
    expect(net.weights[0].shape).toBe('30×784');
    expect(net.biases[1].shape).toBe('10×1');
    expect(net.weights[1].data.buffer).toBe(net.params.buffer);
    const mean = net.params.reduce((s, v) => s + v, 0) / net.params.length;
    const variance = net.params.reduce((s, v) => s + (v - mean) ** 2, 0) / net.params.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('rejects bad sizes and inputs with clear errors', () => {
    expect(() => new Network([784])).toThrow('at least an input and an output layer');
    expect(() => new Network([784, 0, 10])).toThrow('sizes[1] must be an integer from 1');
    expect(() => new Network([784, 1e7, 10])).toThrow(RangeError);
    const net = new Network([4, 3, 2]);
    expect(() => net.feedforward(new Matrix(5, 1))).toThrow('feedforward: x must have 4 rows (one per input neuron); got 5×1');
    expect(() => net.backprop(new Matrix(4, 2), new Matrix(2, 3))).toThrow('backprop: y must be 2×2 for x 4×2; got 2×3');
    expect(() => net.predict([1, 2])).toThrow('predict: the network takes 4 inputs, got 2');
  });
});
