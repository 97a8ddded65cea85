// Chapter 3's pieces: every cost × hidden activation × output layer against
// finite differences; the L2 and momentum updates against hand-computed
// steps; softmax; and the model file keeping them.

import { describe, expect, it } from 'vitest';
import { relu, sigmoid, softmaxColumns, tanh } from '../src/nn/activations.js';
import { CrossEntropyCost, LogLikelihoodCost, QuadraticCost } from '../src/nn/costs.js';
import { parseModel, serializeModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { Matrix } from '../src/tensor/matrix.js';
import { Rng } from '../src/rng.js';
import { centralSlope, expectAllClose, gradientError } from './reference.js';
import { makeOptimizer } from '../src/nn/optimizers/index.js';

function batch(rng: Rng, nIn: number, nOut: number, m: number) {
  const x = new Matrix(nIn, m, undefined, 'col');
  for (let i = 0; i < x.size; i++) x.data[i] = rng.uniform();
  const y = new Matrix(nOut, m, undefined, 'col');
  for (let j = 0; j < m; j++) y.set(rng.below(nOut), j, 1);
  return { x, y };
}

describe('gradient checks: every cost × hidden activation × output layer', () => {
  for (const cost of [QuadraticCost, CrossEntropyCost, LogLikelihoodCost]) {
    for (const activation of [sigmoid, tanh, relu]) {
      it(`${cost.name} (${cost.output} output) with ${activation.name} hidden layers`, () => {
        const rng = new Rng(cost.name.length * 7 + activation.name.length);
        const net = Network.random([5, 6, 4, 3], rng, { cost, activation, init: 'default' });
        const { x, y } = batch(rng, 5, 3, 4);
        const C = () => {
          const out = net.feedforward(x);
          return cost.fn(out.data, y.data, out.size);
        };
        net.backprop(x, y);
        const analytic = net.grads.slice();
        // central differences with steps h and h/2, combined (Richardson) to cancel the h² error
        const slope = (i: number, h: number) => centralSlope(net.params, i, h, C);
        let worst = 0;
        let kinks = 0;
        for (let i = 0; i < net.params.length; i++) {
          const d1 = slope(i, 2e-2);
          const d2 = slope(i, 1e-2);
          // a nudge across relu's kink at 0 makes the two slopes disagree: no derivative to check there
          if (activation === relu && Math.abs(d1 - d2) > 0.05 * Math.max(Math.abs(d2), 1e-2)) {
            kinks++;
            continue;
          }
          const numeric = (4 * d2 - d1) / 3;
          worst = Math.max(worst, gradientError(numeric, analytic[i]));
        }
        expect(kinks).toBeLessThan(net.params.length / 10);
        // float32 forward passes limit the precision (ln(1 − a) for a near 1 most of all);
        // a wrong derivative is off by far more than this
        expect(worst).toBeLessThan(1e-2);
      });
    }
  }
});

describe('softmax', () => {
  it('makes each column a probability distribution, stable for large inputs', () => {
    const z = Float32Array.from([1, 2, 3, 1000, 1001, 1002, -5, 0, 5]); // 3 columns of 3, column-major
    const a = new Float32Array(9);
    softmaxColumns(a, z, 3, 3);
    for (let j = 0; j < 3; j++) expect(a[3 * j] + a[3 * j + 1] + a[3 * j + 2]).toBeCloseTo(1, 6);
    expectAllClose(a.subarray(0, 3), a.subarray(3, 6), 1e-7, 1e-6); // shift-invariant
    expect(a[2]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 6);
  });
});

describe('the update rules', () => {
  const sizes = [4, 3, 2];

  function stepped(rule: { lambda: number; n: number; momentum: number }, steps: number) {
    const rng = new Rng(12);
    const net = Network.random(sizes, rng, { cost: CrossEntropyCost });
    net.optimizer = makeOptimizer(rule);
    const start = net.params.slice();
    const grads: Float32Array[] = [];
    for (let s = 0; s < steps; s++) {
      const { x, y } = batch(rng, 4, 2, 5);
      const probe = new Network(sizes, { params: net.params, cost: CrossEntropyCost });
      probe.backprop(x, y);
      grads.push(probe.grads.slice());
      net.updateMiniBatch(x, y, 0.5);
    }
    return { net, start, grads };
  }

  /** Which entries of the parameter buffer are weights (the rest are biases). */
  function isWeight(net: Network): boolean[] {
    const mask = new Array<boolean>(net.params.length).fill(false);
    for (const w of net.weights) {
      const o = (w.data.byteOffset - net.params.byteOffset) / 4;
      for (let i = 0; i < w.size; i++) mask[o + i] = true;
    }
    return mask;
  }

  it("L2 is network2.py's w ← (1 − ηλ/n)·w − (η/m)·∇w, biases undecayed", () => {
    const rule = { lambda: 5, n: 1000, momentum: 0 };
    const { net, start, grads } = stepped(rule, 1);
    const weight = isWeight(net);
    const eta = 0.5;
    const m = 5;
    const expected = Array.from(start, (w, i) =>
      weight[i] ? (1 - (eta * rule.lambda) / rule.n) * w - (eta / m) * grads[0][i] : w - (eta / m) * grads[0][i],
    );
    expectAllClose(net.params, expected, 1e-6, 1e-6, 'L2 step');
  });

  it('momentum keeps a velocity: v ← μv − (η/m)·∇ − (ηλ/n)·w, w ← w + v', () => {
    const rule = { lambda: 2, n: 500, momentum: 0.9 };
    const { net, start, grads } = stepped(rule, 2);
    const weight = isWeight(net);
    const eta = 0.5;
    const m = 5;
    const w = Array.from(start);
    const v = w.map(() => 0);
    for (const g of grads) {
      for (let i = 0; i < w.length; i++) {
        v[i] = rule.momentum * v[i] - (eta / m) * g[i] - (weight[i] ? (eta * rule.lambda) / rule.n : 0) * w[i];
        w[i] += v[i];
      }
    }
    expectAllClose(net.params, w, 1e-6, 1e-5, 'momentum steps');
    expect(net.optimizer.stateNames).toEqual(['velocity']);
  });

  it('momentum 0 is plain SGD, bit for bit', () => {
    const plain = stepped({ lambda: 0, n: 1, momentum: 0 }, 3).net;
    const rng = new Rng(12);
    const net = Network.random(sizes, rng, { cost: CrossEntropyCost });
    for (let s = 0; s < 3; s++) {
      const { x, y } = batch(rng, 4, 2, 5);
      net.updateMiniBatch(x, y, 0.5); // the default rule
    }
    expect(Array.from(plain.params)).toEqual(Array.from(net.params));
    expect(plain.optimizer.state).toEqual([]);
  });
});

describe('initialisation', () => {
  it("'default' draws weights from N(0, 1/n_in), 'large' from N(0, 1); biases N(0, 1) either way", () => {
    const large = Network.random([784, 100, 10], new Rng(1), { init: 'large' });
    const small = Network.random([784, 100, 10], new Rng(1), { init: 'default' });
    const sd = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(sd(large.weights[0].data)).toBeCloseTo(1, 1);
    expect(sd(small.weights[0].data)).toBeCloseTo(1 / Math.sqrt(784), 2);
    expect(Array.from(small.biases[0].data)).toEqual(Array.from(large.biases[0].data));
  });
});

describe('the model file keeps the cost, the output layer and the activation', () => {
  it('round-trips them, and refuses an output layer that does not go with the cost', () => {
    const net = Network.random([6, 5, 3], new Rng(3), { cost: LogLikelihoodCost, activation: relu });
    const text = serializeModel(net);
    const back = parseModel(text, 'm.json').network as Network;
    expect(back.cost.name).toBe('LogLikelihoodCost');
    expect(back.output).toBe('softmax');
    expect(back.activation.name).toBe('relu');
    expect(Array.from(back.predict([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).output)).toEqual(
      Array.from(net.predict([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).output),
    );
    const doc = JSON.parse(text);
    expect(() => parseModel(JSON.stringify({ ...doc, output: 'sigmoid' }), 'm.json')).toThrow(
      'm.json: output "sigmoid" does not go with LogLikelihoodCost, whose output layer is softmax',
    );
    expect(() => parseModel(JSON.stringify({ ...doc, activation: 'swish' }), 'm.json')).toThrow('activation "swish" is unknown');
  });
});

describe('the learning-rate schedule and early stopping', () => {
  it('halves η after `patience` epochs without a better accuracy, and stops at η₀/128', async () => {
    const { EtaSchedule } = await import('../src/nn/sgd.js');
    const s = new EtaSchedule(1, 2);
    const etas: number[] = [];
    const go: boolean[] = [];
    for (const acc of [10, 20, 20, 19, 25, ...new Array(20).fill(25)]) {
      go.push(s.update(acc));
      etas.push(s.eta);
    }
    expect(etas.slice(0, 8)).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
    const stop = go.indexOf(false);
    // one halving before the best (epochs 3 and 4 without progress), six after it, two epochs each
    expect(stop).toBe(4 + 2 * 6);
    expect(etas[stop]).toBe(1 / 128);
    expect(etas[stop - 1]).toBe(1 / 64);
    expect(go.slice(0, stop).every(Boolean)).toBe(true);
  });

  it('early stopping gives up after `patience` epochs without progress', async () => {
    const { EarlyStop } = await import('../src/nn/sgd.js');
    const e = new EarlyStop(3);
    expect([50, 60, 60, 59, 61, 61, 61, 61].map((a) => e.update(a))).toEqual([true, true, true, true, true, true, true, false]);
  });

  it('sgd applies them: it stops, and says why', async () => {
    const { sgd } = await import('../src/nn/sgd.js');
    const { randomImages } = await import('./fixtures.js');
    const train = randomImages(1, 50, 2, 2, 3);
    const rng = new Rng(2);
    const net = Network.random([4, 3, 3], rng);
    // random labels: the accuracy soon stops improving
    const results = sgd(net, train, { epochs: 500, miniBatchSize: 10, eta: 1, rng, evaluation: train, etaSchedule: 2 });
    expect(results.length).toBeLessThan(500);
    const last = results[results.length - 1];
    expect(last.stopped).toContain('η came down to η₀/128 (0.0078125)');
    expect(last.eta).toBe(1 / 64); // the η that last epoch trained with
    const early = sgd(Network.random([4, 3, 3], new Rng(3)), train, { epochs: 500, miniBatchSize: 10, eta: 1, rng: new Rng(3), evaluation: train, earlyStop: 4 });
    expect(early[early.length - 1].stopped).toContain('early stopping');
  });
});

describe('the SVG chart', () => {
  it('is well-formed and draws one line per run and monitored quantity', async () => {
    const { chartSvg } = await import('../src/plot/chart.js');
    const epochs = [1, 2, 3].map((epoch) => ({ epoch, evalAccuracy: 0.9 + epoch / 100, trainAccuracy: 0.91 + epoch / 100, trainCost: 1 / epoch }));
    const svg = chartSvg([{ label: 'a<b', epochs }, { label: 'run 2', epochs: epochs.map(({ epoch, evalAccuracy }) => ({ epoch, evalAccuracy })) }]);
    // well-formed: every tag closes, in order
    const stack: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-z]+)[^>]*?(\/?)>/g)) {
      if (m[3]) continue;
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else stack.push(m[2]);
    }
    expect(stack).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const series = [...svg.matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]);
    expect(series).toEqual(['a&lt;b: eval-acc', 'a&lt;b: train-acc', 'run 2: eval-acc', 'a&lt;b: train-cost']);
    expect(svg).toContain('>accuracy (%)</text>');
    expect(svg).toContain('>epoch</text>');
    expect([...svg.matchAll(/data-panel="(\w+)"/g)].map((m) => m[1])).toEqual(['accuracy', 'cost']);
  });

  it('keeps a long legend inside the picture', async () => {
    const { chartSvg, LEGEND_CHAR_PX } = await import('../src/plot/chart.js');
    const label = 'ch3-init-large-784-30-10-cross-entropy-eta0.1-lambda5-seed1';
    const svg = chartSvg([{ label, epochs: [1, 2].map((epoch) => ({ epoch, evalAccuracy: 0.9, trainCost: 1 / epoch })) }]);
    const width = Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    const legends = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+">([^<]+)<\/text>/g)].filter((m) => m[2].startsWith(label));
    expect(legends.length).toBe(2);
    for (const [, x, text] of legends) expect(Number(x) + text.length * LEGEND_CHAR_PX).toBeLessThanOrEqual(width);
  });

  it('draws no cost panel when no cost was monitored', async () => {
    const { chartSvg } = await import('../src/plot/chart.js');
    const svg = chartSvg([{ label: 'run', epochs: [1, 2].map((epoch) => ({ epoch, evalAccuracy: 0.9 + epoch / 100 })) }]);
    expect([...svg.matchAll(/data-panel="(\w+)"/g)].map((m) => m[1])).toEqual(['accuracy']);
    expect(svg).not.toContain('>cost</text>');
  });
});

describe('presets', () => {
  it("hold the book's settings and figures", async () => {
    const { PRESETS } = await import('../src/nn/presets.js');
    type FcPreset = import('../src/nn/presets.js').FcPreset;
    expect(PRESETS['ch1-30']).toMatchObject({ sizes: [784, 30, 10], cost: 'quadratic', eta: 3, epochs: 30, miniBatchSize: 10, book: { accuracy: 95.42 } });
    expect(PRESETS['ch3-ce-30']).toMatchObject({ sizes: [784, 30, 10], cost: 'cross-entropy', init: 'large', eta: 0.5, book: { accuracy: 95.49 } });
    expect(PRESETS['ch3-ce-100']).toMatchObject({ sizes: [784, 100, 10], cost: 'cross-entropy', eta: 0.5, book: { accuracy: 96.82 } });
    expect(PRESETS['ch3-overfit']).toMatchObject({ sizes: [784, 30, 10], cost: 'cross-entropy', eta: 0.5, epochs: 400, trainSize: 1000, lambda: 0, book: { accuracy: 82.27 } });
    expect(PRESETS['ch3-overfit-l2']).toMatchObject({ trainSize: 1000, epochs: 400, lambda: 0.1, book: { accuracy: 87.1 } });
    expect(PRESETS['ch3-l2-100']).toMatchObject({
      sizes: [784, 100, 10], cost: 'cross-entropy', eta: 0.1, lambda: 5, epochs: 60, evalSet: 'validation',
      book: { accuracy: 98.04, on: 'validation' },
    });
    expect(PRESETS['ch3-l2-30']).toMatchObject({ sizes: [784, 30, 10], cost: 'cross-entropy', init: 'large', eta: 0.5, lambda: 5, epochs: 30, evalSet: 'test', book: { accuracy: 96.49 } });
    expect(PRESETS['ch3-l2-100-30']).toMatchObject({ sizes: [784, 100, 10], eta: 0.5, lambda: 5, epochs: 30, evalSet: 'validation', book: { accuracy: 97.92 } });
    // the weight-initialisation comparison: the same run but for the initial weights
    const { init: a, name: _a, about: _b, book: _c, ...large } = PRESETS['ch3-init-large'] as FcPreset;
    const { init: b, name: _d, about: _e, book: _f, ...fresh } = PRESETS['ch3-init'] as FcPreset;
    expect([a, b]).toEqual(['large', 'default']);
    expect(fresh).toEqual(large);
    expect(large).toMatchObject({ sizes: [784, 30, 10], cost: 'cross-entropy', eta: 0.1, lambda: 5, evalSet: 'validation' });
    // chapter 6 (network3.py's λ = 0.1 is 1.0 here: network3 divides its L2 term by the number of mini-batches)
    const relu = 'conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10';
    expect(PRESETS['ch6-conv2']).toMatchObject({ layers: 'conv 20 5x5 sigmoid, pool 2, conv 40 5x5 sigmoid, pool 2, fc 100 sigmoid, softmax 10', eta: 0.1, epochs: 60, book: { accuracy: 99.06 } });
    expect(PRESETS['ch6-relu']).toMatchObject({ layers: relu, eta: 0.03, lambda: 1, epochs: 60, book: { accuracy: 99.23 } });
    expect(PRESETS['ch6-expanded']).toMatchObject({ layers: relu, eta: 0.03, lambda: 1, expand: true, epochs: 60, book: { accuracy: 99.37 } });
    expect(PRESETS['ch6-dropout']).toMatchObject({
      layers: 'conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, dropout 0.5, fc 1000 relu, dropout 0.5, fc 1000 relu, dropout 0.5, softmax 10',
      eta: 0.03, lambda: 0, expand: true, epochs: 40, miniBatchSize: 10, book: { accuracy: 99.6 },
    });
  });

  it("prints the book's figure, or its words when it gives no number", async () => {
    const { PRESETS, bookFigure } = await import('../src/nn/presets.js');
    expect(bookFigure(PRESETS['ch3-l2-30'])).toBe('96.49%');
    expect(bookFigure(PRESETS['ch3-init'])).toMatch(/^somewhat over 96%/);
  });
});

describe('the expanded training set', () => {
  it('holds each image and its four one-pixel shifts, with the label', async () => {
    const { expandByShifts } = await import('../src/data/expand.js');
    // a 3×3 image with a single lit pixel in the middle
    const set = { images: Uint8Array.from([0, 0, 0, 0, 9, 0, 0, 0, 0]), labels: Uint8Array.from([7]), count: 1, rows: 3, cols: 3 };
    const big = expandByShifts(set);
    expect(big.count).toBe(5);
    expect(Array.from(big.labels)).toEqual([7, 7, 7, 7, 7]);
    const lit = (k: number) => Array.from(big.images.subarray(k * 9, k * 9 + 9)).indexOf(9);
    expect([0, 1, 2, 3, 4].map(lit)).toEqual([4, 1, 7, 3, 5]); // as is, up, down, left, right
    // what is shifted out is gone, what comes in is blank
    const edge = expandByShifts({ ...set, images: Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0, 0]) });
    expect(Array.from(edge.images.subarray(9, 18))).toEqual(new Array(9).fill(0)); // up: row 0 leaves
    expect(edge.images[18 + 3]).toBe(5); // down: (0,0) → (1,0)
  });
});

describe('dropout', () => {
  it('keeps the expected input of the next layer (inverted dropout) and is off at evaluation', () => {
    const net = new Network([3, 400, 1], { cost: CrossEntropyCost });
    const rng = new Rng(4);
    for (let i = 0; i < net.weights[0].size; i++) net.weights[0].data[i] = rng.gaussian() * 0.5;
    net.weights[1].data.fill(0.01); // z³ = 0.01 · Σ (hidden activations after dropout)
    const x = Matrix.column([0.2, 0.5, 0.9]);
    const logit = (a: number) => Math.log(a / (1 - a));
    const clean = logit(net.feedforward(x).data[0]);
    net.dropout = 0.5;
    net.dropoutRng = new Rng(9);
    let sum = 0;
    const draws = 4000;
    const seen = new Set<number>();
    for (let d = 0; d < draws; d++) {
      const z = logit(net.trainingForward(x).data[0]);
      seen.add(Math.round(z * 1e4));
      sum += z;
    }
    expect(seen.size).toBeGreaterThan(100); // the masks do vary
    expect(Math.abs(sum / draws - clean)).toBeLessThan(0.01 * Math.abs(clean) + 0.005);
    // evaluation ignores dropout: the same answer every time
    expect(logit(net.feedforward(x).data[0])).toBe(clean);
    expect(net.evaluate).toBeDefined();
  });

  it('backprop matches finite differences under the same masks', () => {
    const rng = new Rng(21);
    const net = Network.random([5, 8, 6, 3], rng, { cost: LogLikelihoodCost, activation: tanh, init: 'default' });
    net.dropout = 0.3;
    const { x, y } = batch(rng, 5, 3, 4);
    const C = () => {
      net.dropoutRng = new Rng(77); // the same masks every time
      const out = net.trainingForward(x);
      return LogLikelihoodCost.fn(out.data, y.data, out.size);
    };
    net.dropoutRng = new Rng(77);
    net.backprop(x, y);
    const analytic = net.grads.slice();
    let worst = 0;
    let zero = 0;
    for (let i = 0; i < net.params.length; i++) {
      const numeric = centralSlope(net.params, i, 1e-2, C);
      if (analytic[i] === 0) zero++;
      worst = Math.max(worst, gradientError(numeric, analytic[i]));
    }
    expect(worst).toBeLessThan(1e-2);
    expect(zero).toBeGreaterThan(0); // dropped units get no gradient
  });

  it('sgd trains with it, bit for bit the same for the same seed, and switches it off after', async () => {
    const { sgd } = await import('../src/nn/sgd.js');
    const { randomImages } = await import('./fixtures.js');
    const train = randomImages(1, 60, 2, 2, 3);
    const run = () => {
      const rng = new Rng(8);
      const net = Network.random([4, 6, 3], rng);
      sgd(net, train, { epochs: 2, miniBatchSize: 5, eta: 0.5, rng, dropout: 0.5 });
      return net;
    };
    const a = run();
    expect(Array.from(a.params)).toEqual(Array.from(run().params));
    expect(a.dropout).toBe(0);
    const plain = Network.random([4, 6, 3], new Rng(8));
    sgd(plain, train, { epochs: 2, miniBatchSize: 5, eta: 0.5, rng: new Rng(8) });
    expect(Array.from(plain.params)).not.toEqual(Array.from(a.params));
    expect(() => sgd(plain, train, { epochs: 1, miniBatchSize: 5, eta: 0.5, rng: new Rng(1), dropout: 1 })).toThrow('dropout must be from 0 up to');
  });

  it('--debug-shapes shows the masks, forward and backward, and which weights take the book\'s dropout step', () => {
    const net = Network.random([4, 6, 5, 3], new Rng(2));
    net.dropout = 0.5;
    net.dropoutRng = new Rng(3);
    const x = net.input(2);
    const y = net.target(2);
    y.set(0, 0, 1);
    y.set(2, 1, 1);
    const lines: string[] = [];
    net.updateMiniBatch(x, y, 0.1, (l) => lines.push(l));
    expect(lines).toContain('dropout  a² ⊙ mask / (1 − p), p = 0.5 → (6×2)');
    expect(lines).toContain('dropout  (W⁴ᵀδ⁴) ⊙ mask / (1 − p): a dropped unit gets no error → (5×2)');
    expect(lines[lines.length - 1]).toMatch(/; after dropout, W³, W⁴ step with \(1 − p\)²·∇w \(the book's dropout\)$/);
  });
});
