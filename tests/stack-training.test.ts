// Training a layer stack with the same sgd() and update rule as the
// fully-connected Network: determinism, L2 and momentum, dropout at training
// and evaluation, the model file, the shape trace, the page's view of the
// first layer, and ensembles.

import { describe, expect, it } from 'vitest';
import { gatherBatch, slice, type LabelledImages } from '../src/data/dataset.js';
import { vote } from '../src/nn/ensemble.js';
import { LayerStack } from '../src/nn/stack.js';
import type { Conv } from '../src/nn/layers/index.js';
import { ModelFileError, parseModel, serializeModel } from '../src/nn/model-file.js';
import { sgd } from '../src/nn/sgd.js';
import { Rng } from '../src/rng.js';
import { randomImages } from './fixtures.js';
import { makeOptimizer } from '../src/nn/optimizers/index.js';
import type { Layer } from '../src/nn/layers/index.js';

/** How many of a layer's parameters L2 decays (its weights). */
const weightsOf = (l: Layer) => l.groups.filter((g) => g.decay).reduce((n, g) => n + g.rows * g.cols, 0);

const data: LabelledImages = randomImages(7, 60);

function trained(spec: string, options: { lambda?: number; momentum?: number; epochs?: number; seed?: number } = {}) {
  const rng = new Rng(options.seed ?? 1);
  const net = new LayerStack(spec);
  net.init(rng);
  sgd(net, data, { epochs: options.epochs ?? 2, miniBatchSize: 10, eta: 0.05, rng, lambda: options.lambda, momentum: options.momentum });
  return net;
}

describe('a layer stack trains with sgd()', () => {
  const spec = 'conv 3 5x5 relu, pool 2, fc 12 sigmoid, dropout 0.3, softmax 10';

  it('the same seed gives the same weights, bit for bit; another seed does not', () => {
    const a = trained(spec, { lambda: 1, momentum: 0.5 });
    const b = trained(spec, { lambda: 1, momentum: 0.5 });
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    const c = trained(spec, { lambda: 1, momentum: 0.5, seed: 2 });
    expect(Array.from(c.params)).not.toEqual(Array.from(a.params));
  });

  it('momentum 0 is plain SGD, bit for bit', () => {
    expect(Array.from(trained(spec, { momentum: 0 }).params)).toEqual(Array.from(trained(spec).params));
  });

  it("one step with L2 is network2.py's w ← (1 − ηλ/n)·w − (η/m)·∇w, and leaves biases undecayed", () => {
    const net = new LayerStack('conv 2 3x3 tanh, fc 5 relu, softmax 10');
    net.init(new Rng(4));
    const one = slice(data, 0, 10);
    const before = net.params.slice();
    // the gradient of this mini-batch, from the same forward pass the step will make (no dropout layers here)
    const x = net.input(10);
    const y = net.target(10);
    gatherBatch(x.data, y.data, 10, one, null, 0, 10);
    net.backward(net.forward(x.data, 10, true), y.data, 10);
    const g = net.grads.slice();
    net.params.set(before);
    const [eta, lambda, n] = [0.1, 2, 1000];
    net.optimizer = makeOptimizer({ lambda, n, momentum: 0 });
    net.updateMiniBatch(x, y, eta);
    let offset = 0;
    for (const l of net.layers) {
      for (let i = offset; i < offset + l.paramCount; i++) {
        const decay = i < offset + weightsOf(l) ? 1 - (eta * lambda) / n : 1;
        expect(net.params[i]).toBeCloseTo(decay * before[i] - (eta / 10) * g[i], 6);
      }
      offset += l.paramCount;
    }
  });

  it("after dropout p, a step moves the weights as the book's dropout (network3.py) does: the gradient term × (1 − p)²", () => {
    // The book drops units without rescaling and multiplies the weights by 1 − p at evaluation;
    // inverted dropout keeps w = (1 − p)·w′ instead. The book's step w′ ← w′ − (η/m)·∂C/∂w′,
    // with ∂C/∂w′ = (1 − p)·∂C/∂w, is w ← w − (η/m)·(1 − p)²·∂C/∂w (and L2's decay unchanged).
    const p = 0.4;
    const net = new LayerStack(`fc 12 relu, dropout ${p}, softmax 10`);
    net.init(new Rng(4));
    const one = slice(data, 0, 10);
    const before = net.params.slice();
    const x = net.input(10);
    const y = net.target(10);
    gatherBatch(x.data, y.data, 10, one, null, 0, 10);
    net.dropoutRng = new Rng(6);
    net.backprop(x, y);
    const g = net.grads.slice();
    net.params.set(before);
    net.dropoutRng = new Rng(6); // the same masks
    const [eta, lambda, n] = [0.2, 3, 500];
    net.optimizer = makeOptimizer({ lambda, n, momentum: 0 });
    net.updateMiniBatch(x, y, eta);
    const [fc, , out] = net.layers;
    const weightsOut = fc.paramCount; // the softmax layer's weights start here
    let checked = 0;
    for (let i = 0; i < net.params.length; i++) {
      const isWeight = i < weightsOf(fc) || (i >= weightsOut && i < weightsOut + weightsOf(out));
      const scale = i >= weightsOut && isWeight ? (1 - p) * (1 - p) : 1;
      const decay = isWeight ? 1 - (eta * lambda) / n : 1;
      expect(net.params[i]).toBeCloseTo(decay * before[i] - (eta / 10) * scale * g[i], 6);
      if (scale !== 1 && g[i] !== 0) checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("network3.py's initialisation: weights N(0, 1/fan-out) (pooling divides a convolution's by 4), biases N(0, 1), the softmax layer at zero", () => {
    const net = new LayerStack('conv 20 5x5 relu, pool 2, conv 40 5x5 relu, fc 500 relu, softmax 10');
    net.init(new Rng(3), 'network3');
    const sd = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const [conv1, , conv2, fc, out] = net.layers as unknown as { w: { data: Float32Array }; b: Float32Array | { data: Float32Array } }[];
    const bias = (l: (typeof conv1)) => ('data' in l.b ? l.b.data : l.b);
    expect(sd(conv1.w.data) / Math.sqrt(1 / ((20 * 25) / 4))).toBeCloseTo(1, 1); // pooled: 20·5·5/4 = 125
    expect(sd(conv2.w.data) / Math.sqrt(1 / (40 * 25))).toBeCloseTo(1, 1); // not pooled
    expect(sd(fc.w.data) / Math.sqrt(1 / 500)).toBeCloseTo(1, 1);
    expect(sd(bias(fc))).toBeGreaterThan(0.9);
    expect(sd(bias(fc))).toBeLessThan(1.1);
    expect(out.w.data.every((v) => v === 0) && bias(out).every((v) => v === 0)).toBe(true);
    // the default scheme is N(0, 1/fan-in), and draws the softmax layer too
    const d = new LayerStack('conv 20 5x5 relu, pool 2, conv 40 5x5 relu, fc 500 relu, softmax 10');
    d.init(new Rng(3));
    const dl = d.layers as unknown as (typeof conv1)[];
    expect(sd(dl[0].w.data) / Math.sqrt(1 / 25)).toBeCloseTo(1, 1);
    expect(dl[4].w.data.some((v) => v !== 0)).toBe(true);
  });

  it("He's initialisation: weights N(0, 2/fan-in) in a ReLU layer, N(0, 1/fan-in) in any other, biases 0", () => {
    const spec = 'conv 20 5x5 relu, pool 2, conv 40 5x5 linear, fc 500 relu, softmax 10';
    const net = new LayerStack(spec);
    net.init(new Rng(3), 'he');
    const sd = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const [conv1, , conv2, fc, out] = net.layers as unknown as { w: { data: Float32Array }; b: Float32Array | { data: Float32Array } }[];
    const bias = (l: (typeof conv1)) => ('data' in l.b ? l.b.data : l.b);
    expect(sd(conv1.w.data) / Math.sqrt(2 / 25)).toBeCloseTo(1, 1); // fan-in 1·5·5, pooling or not
    expect(sd(conv2.w.data) / Math.sqrt(1 / (20 * 25))).toBeCloseTo(1, 1); // linear: gain 1
    expect(sd(fc.w.data) / Math.sqrt(2 / (40 * 8 * 8))).toBeCloseTo(1, 1);
    expect(sd(out.w.data) / Math.sqrt(1 / 500)).toBeCloseTo(1, 1); // softmax: gain 1
    for (const l of [conv1, conv2, fc, out]) expect(bias(l).every((v) => v === 0)).toBe(true);
    // the same seed draws the same weights; the default scheme's N(0, 1) biases are gone
    const again = new LayerStack(spec);
    again.init(new Rng(3), 'he');
    expect(again.params).toEqual(net.params);
    const d = new LayerStack(spec);
    d.init(new Rng(3));
    expect(sd(bias((d.layers as unknown as (typeof conv1)[])[3]))).toBeGreaterThan(0.9);
  });

  it('dropout is off at evaluation (the same outputs as without the layer) and keeps the expected activation in training', () => {
    const withDrop = new LayerStack('fc 50 relu, dropout 0.5, softmax 10');
    const without = new LayerStack('fc 50 relu, softmax 10');
    withDrop.init(new Rng(9));
    without.params.set(withDrop.params);
    const x = Float32Array.from(data.images.subarray(0, 784 * 4), (v) => v / 255);
    expect(Array.from(withDrop.forward(x, 4))).toEqual(Array.from(without.forward(x, 4)));
    // in training: a dropped unit is 0, a kept one scaled by 1/(1 − p); the mean over many draws stays put
    const drop = withDrop.layers[1];
    const ones = new Float32Array(20000).fill(1);
    const out = drop.forward(ones, { full: 400, j0: 0, m: 400 }, true, new Rng(3));
    expect(out.every((v) => v === 0 || v === 2)).toBe(true);
    const mean = out.reduce((s, v) => s + v, 0) / out.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.03);
  });
});

describe('label smoothing', () => {
  const spec = 'conv 2 3x3 tanh, fc 5 relu, softmax 10';
  const batch = (net: LayerStack) => {
    const x = net.input(10);
    const y = net.target(10);
    gatherBatch(x.data, y.data, 10, slice(data, 0, 10), null, 0, 10);
    return { x, y };
  };

  it("BP1 takes (1 − ε)·y + ε/K as the desired output: the gradients of the one-hot labels with ε are those of the smoothed labels without", () => {
    const net = new LayerStack(spec);
    net.init(new Rng(4));
    const { x, y } = batch(net);
    const out = net.forward(x.data, 10, true).slice();
    const e = 0.1;
    net.labelSmoothing = e;
    net.backward(out, y.data, 10);
    const smoothed = net.grads.slice();
    net.labelSmoothing = 0;
    net.backward(out, y.data, 10);
    const plain = net.grads.slice();
    // the reference: the log-likelihood cost's own BP1 (aᴸ − y) against targets smoothed by hand
    const target = Float32Array.from(y.data, (v) => (1 - e) * v + e / 10);
    expect(target.reduce((s, v) => s + v, 0)).toBeCloseTo(10, 5); // each column still sums to 1
    net.backward(out, target, 10);
    const reference = net.grads.slice();
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < smoothed.length; i++) {
      worst = Math.max(worst, Math.abs(smoothed[i] - reference[i]));
      moved = Math.max(moved, Math.abs(smoothed[i] - plain[i]));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(moved).toBeGreaterThan(1e-3); // smoothing changes the gradients well beyond that tolerance
  });

  it('is the cost C = −Σ y′ ln a of the smoothed targets: BP1 matches its finite differences in the output biases', () => {
    const net = new LayerStack('fc 6 tanh, softmax 10', { c: 1, h: 4, w: 4 });
    net.init(new Rng(9));
    const m = 3;
    const x = Float32Array.from({ length: 16 * m }, (_, i) => ((i * 37) % 17) / 17);
    const labels = [2, 7, 7];
    const e = 0.2;
    const y = new Float32Array(10 * m);
    labels.forEach((l, j) => (y[j * 10 + l] = 1));
    const cost = () => {
      const a = net.forward(x, m);
      let c = 0;
      for (let i = 0; i < a.length; i++) c -= ((1 - e) * y[i] + e / 10) * Math.log(a[i]);
      return c;
    };
    net.labelSmoothing = e;
    net.backward(net.forward(x, m, true).slice(), y, m);
    const offset = net.params.length - 10; // the output layer's biases come last
    const h = 1e-2;
    for (const k of [0, 2, 7]) {
      const at = offset + k;
      const v = net.params[at];
      net.params[at] = v + h;
      const up = cost();
      net.params[at] = v - h;
      const down = cost();
      net.params[at] = v;
      expect(net.grads[at]).toBeCloseTo((up - down) / (2 * h), 3);
    }
  });

  it('goes with a softmax output only, from 0 up to 1, and sgd() leaves it off after its run', () => {
    expect(() => (new LayerStack('fc 5 relu, sigmoid 10').labelSmoothing = 0.1)).toThrow('label smoothing goes with a softmax output layer; this network\'s is sigmoid');
    const net = new LayerStack(spec);
    for (const bad of [1, -0.1, NaN]) expect(() => (net.labelSmoothing = bad)).toThrow('label smoothing must be from 0 up to (not including) 1');
    const run = (e: number) => {
      const rng = new Rng(3);
      const n = new LayerStack(spec);
      n.init(rng);
      sgd(n, data, { epochs: 1, miniBatchSize: 10, eta: 0.05, rng, labelSmoothing: e });
      expect(n.labelSmoothing).toBe(0);
      return Array.from(n.params);
    };
    expect(run(0.1)).toEqual(run(0.1));
    expect(run(0.1)).not.toEqual(run(0));
  });

  it('--debug-shapes says what the targets became', () => {
    const net = new LayerStack(spec);
    net.init(new Rng(1));
    net.labelSmoothing = 0.1;
    const lines: string[] = [];
    const { x, y } = batch(net);
    net.updateMiniBatch(x, y, 0.01, (l) => lines.push(l));
    const at = lines.findIndex((l) => l.startsWith('labels smoothed'));
    expect(lines[at]).toBe('labels smoothed (ε = 0.1): BP1 below takes y as (1 − 0.1)·y + 0.1/10, not one-hot (10×10)');
    expect(lines[at + 1]).toContain('output  δ = aᴸ − y (BP1)');
  });
});

describe('the model file holds a layer stack', () => {
  it('round trip: the same description, parameters and predictions', () => {
    const net = trained('conv 3 5x5 relu, pool 2, conv 4 3x3 sigmoid, fc 8 tanh, sigmoid 10', { epochs: 1 });
    const text = serializeModel(net);
    const back = parseModel(text, 'stack.json').network as LayerStack;
    expect(back).toBeInstanceOf(LayerStack);
    expect(back.spec).toBe('conv 3 5x5 relu, pool 2, conv 4 3x3 sigmoid, fc 8 tanh, sigmoid 10');
    expect(Array.from(back.params)).toEqual(Array.from(net.params));
    const pixels = Array.from({ length: 784 }, (_, i) => (i % 29) / 29);
    expect(Array.from(back.predict(pixels).output)).toEqual(Array.from(net.predict(pixels).output));
    expect(JSON.parse(text).cost).toBe('CrossEntropyCost');
  });

  it('rejects broken stack files with the file, the field and the reason', () => {
    const good = JSON.parse(serializeModel(trained('conv 2 5x5 relu, pool 2, softmax 10', { epochs: 1 })));
    const cases: [unknown, string][] = [
      [{ ...good, layers: 'conv 2 5x5 relu, pool 2, softmax' }, `s.json: "layers": layer 3 'softmax': the number of outputs must be a positive integer; got ''`],
      [{ ...good, input: [1, 28] }, 's.json: "input" must be [channels, height, width], e.g. [1, 28, 28]'],
      [{ ...good, cost: 'QuadraticCost' }, 's.json: cost "QuadraticCost" does not go with the softmax output layer; it takes LogLikelihoodCost'],
      [{ ...good, weights: good.weights.slice(1) }, 's.json: "weights" must be a list of 2 matrices, one per layer with parameters'],
      [{ ...good, weights: [good.weights[0].slice(1), good.weights[1]] }, 's.json: weights[0] (conv 2 5x5 relu) must have 2 rows of 25 (shape 2×25)'],
    ];
    for (const [doc, message] of cases) {
      expect(() => parseModel(JSON.stringify(doc), 's.json')).toThrow(ModelFileError);
      expect(() => parseModel(JSON.stringify(doc), 's.json')).toThrow(message);
    }
  });
});

describe('what a learner sees', () => {
  it('--debug-shapes: every layer forward and backward, with the book-style shapes', () => {
    const net = new LayerStack('conv 20 5x5 relu, pool 2, conv 40 5x5 relu, pool 2, fc 100 relu, softmax 10');
    net.init(new Rng(1));
    const lines: string[] = [];
    const x = net.input(10);
    const y = net.target(10);
    y.data.fill(0.1);
    net.updateMiniBatch(x, y, 0.01, (l) => lines.push(l));
    expect(lines).toEqual([
      'input  x: m = 10 samples of (1×28×28), each one contiguous',
      'conv1  W (20×1×5×5) ∗ x (1×28×28) + b (20), relu → (20×24×24)  [im2col: W (20×25) · patches (25×576·m)]',
      'pool1  max over 2×2 windows (20×24×24) → (20×12×12)',
      'conv2  W (40×20×5×5) ∗ x (20×12×12) + b (40), relu → (40×8×8)  [im2col: W (40×500) · patches (500×64·m)]',
      'pool2  max over 2×2 windows (40×8×8) → (40×4×4)',
      'fc1  z = W (100×640) · a (40×4×4 → 640) + b (100), a = relu(z) → (100)',
      'output  z = W (10×100) · a (100 → 100) + b (10), a = softmax(z) → (10)',
      'output  δ = aᴸ − y (BP1) (10); ∇b = Σ δ (BP3) (10); ∇W = δ·aᵀ (BP4) (10×100); Wᵀδ → (100)',
      'fc1  δ = ∂C/∂a ⊙ relu′(z) (BP2) (100); ∇b = Σ δ (BP3) (100); ∇W = δ·aᵀ (BP4) (100×640); Wᵀδ → (40×4×4)',
      'pool2  each δ (40×4×4) goes to its window\'s maximum → (40×8×8)',
      'conv2  δ = ∂C/∂a ⊙ relu′(z) (40×8×8); ∇b (40); ∇W = δ · patchesᵀ (40×20×5×5); ∂C/∂x = col2im(Wᵀδ) → (20×12×12)',
      'pool1  each δ (20×12×12) goes to its window\'s maximum → (20×24×24)',
      'conv1  δ = ∂C/∂a ⊙ relu′(z) (20×24×24); ∇b (20); ∇W = δ · patchesᵀ (20×1×5×5) (the image needs no error)',
      'SGD  w ← w − (η/m)·∇w, b ← b − (η/m)·∇b with η = 0.01, m = 10: 85670 parameters in one buffer',
    ]);
  });

  it("after predict(), layerOutput(0) is the first layer's feature maps for that image", () => {
    const net = new LayerStack('conv 2 3x3 relu, pool 2, softmax 10', { c: 1, h: 6, w: 6 });
    net.init(new Rng(2));
    const image = Array.from({ length: 36 }, (_, i) => ((i * 7) % 11) / 10);
    net.predict(image);
    const maps = net.layerOutput(0);
    const conv = net.layers[0] as Conv;
    expect(maps.length).toBe(2 * 4 * 4);
    for (let f = 0; f < 2; f++) {
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 4; c++) {
          let z = conv.b[f];
          for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) z += conv.w.data[f * 9 + i * 3 + j] * image[(r + i) * 6 + c + j];
          expect(maps[f * 16 + r * 4 + c]).toBeCloseTo(Math.max(0, z), 5);
        }
      }
    }
  });
});

describe('ensembles vote', () => {
  it('each network votes its most likely class; the most votes win; a tie goes to the larger summed output', () => {
    const a = Float32Array.from([0.6, 0.3, 0.1, /**/ 0.1, 0.5, 0.4, /**/ 0.2, 0.3, 0.5]);
    const b = Float32Array.from([0.2, 0.7, 0.1, /**/ 0.1, 0.3, 0.6, /**/ 0.6, 0.3, 0.1]);
    const c = Float32Array.from([0.5, 0.4, 0.1, /**/ 0.3, 0.35, 0.35, /**/ 0.1, 0.1, 0.8]);
    // sample 0: votes 0, 1, 0 → 0; sample 1: 1, 2, 1 (first of the tied maxima) → 1; sample 2: 2, 0, 2 → 2
    expect(Array.from(vote([a, b, c], 3, 3))).toEqual([0, 1, 2]);
    // two networks that disagree: the larger summed output decides (0.6 + 0.2 < 0.3 + 0.7 for sample 0)
    expect(Array.from(vote([a, b], 3, 3))).toEqual([1, 2, 0]);
    expect(() => vote([a, b.subarray(1)], 3, 3)).toThrow('each network needs 3×3 outputs; got 8');
  });
});
