// Batch normalisation (nn/layers/batch-norm.ts): its gradients against finite
// differences after dense and convolutional layers, its output statistics, the
// running averages and evaluation mode, the model file keeping them, and
// training on threads (deterministic per thread count, thread 0 keeping the
// running averages).

import { describe, expect, it } from 'vitest';
import { LayerStack } from '../src/nn/stack.js';
import { BatchNorm } from '../src/nn/layers/index.js';
import { parseModel, serializeModel } from '../src/nn/model-file.js';
import { sgd } from '../src/nn/sgd.js';
import { ThreadedSteps } from '../src/nn/parallel/threads.js';
import { sharedBackend } from '../src/backend.js';
import { spawnNodeThread } from '../src/node/threads.js';
import { Rng } from '../src/rng.js';
import { centralSlope, expectAllClose, gradientError } from './reference.js';
import { randomImages } from './fixtures.js';

/** A batch of m random inputs and one-hot targets for `net`. */
function batchFor(net: LayerStack, m: number, rng: Rng) {
  const x = new Float32Array(net.inputSize * m).map(() => rng.uniform());
  const y = new Float32Array(net.classes * m);
  for (let j = 0; j < m; j++) y[j * net.classes + rng.below(net.classes)] = 1;
  return { x, y };
}

function worstGradientError(spec: string, input: { c: number; h: number; w: number }, seed: number): number {
  const rng = new Rng(seed);
  const net = new LayerStack(spec, input);
  net.init(rng);
  for (let i = 0; i < net.params.length; i++) net.params[i] += 0.1 * rng.gaussian(); // γ ≠ 1, β ≠ 0
  const m = 4;
  const { x, y } = batchFor(net, m, rng);
  const C = () => net.cost.fn(net.forward(x, m, true), y, y.length); // training mode: the batch's statistics
  net.backward(net.forward(x, m, true), y, m);
  const analytic = net.grads.slice();
  let worst = 0;
  for (let i = 0; i < net.params.length; i++) worst = Math.max(worst, gradientError(centralSlope(net.params, i, 2e-3, C), analytic[i]));
  return worst;
}

describe('batch norm', () => {
  it('backprop through bn after a dense layer matches finite differences (γ, β and the layers below)', () => {
    expect(worstGradientError('fc 6 tanh, bn, fc 5 sigmoid, bn, softmax 4', { c: 7, h: 1, w: 1 }, 3)).toBeLessThan(0.03);
  });

  it('backprop through bn after a convolution (per feature map, over samples and positions) matches finite differences', () => {
    expect(worstGradientError('conv 3 3x3 tanh, bn, pool 2, fc 5 tanh, softmax 3', { c: 2, h: 6, w: 6 }, 5)).toBeLessThan(0.03);
  });

  it('"bn tanh" / "bn sigmoid" after linear layers: backprop through the activation and the normalisation matches finite differences', () => {
    expect(worstGradientError('conv 3 3x3 linear, bn tanh, pool 2, fc 5 linear, bn sigmoid, softmax 3', { c: 2, h: 6, w: 6 }, 7)).toBeLessThan(0.03);
  });

  it('"bn relu" is relu of "bn": the same outputs with ReLU applied, zero gradient where the output is zero; the model file keeps it', () => {
    const input = { c: 1, h: 6, w: 6 };
    const rng = new Rng(8);
    const plain = new LayerStack('conv 3 3x3 linear, bn, pool 2, softmax 4', input);
    plain.init(rng);
    const fused = new LayerStack('conv 3 3x3 linear, bn relu, pool 2, softmax 4', input);
    fused.params.set(plain.params);
    const m = 5;
    const { x, y } = batchFor(plain, m, rng);
    plain.forward(x, m, true);
    fused.forward(x, m, true);
    const a = plain.layerOutput(1, m);
    const r = fused.layerOutput(1, m);
    expect(Array.from(r)).toEqual(Array.from(a, (v) => (v > 0 ? v : 0)));
    expect(r.some((v) => v === 0) && r.some((v) => v > 0)).toBe(true);
    // a gradient check through the relu (this batch has no output near its kink)
    fused.backward(fused.forward(x, m, true), y, m);
    const analytic = fused.grads.slice();
    const C = () => fused.cost.fn(fused.forward(x, m, true), y, y.length);
    for (let i = 0; i < fused.params.length; i++) expect(gradientError(centralSlope(fused.params, i, 2e-3, C), analytic[i]), `parameter ${i}`).toBeLessThan(0.03);
    const back = parseModel(serializeModel(fused), 'bnrelu.json').network as LayerStack;
    expect(back.spec).toBe('conv 3 3x3 linear, bn relu, pool 2, softmax 4');
    expect((back.layers[1] as BatchNorm).describe).toBe('bn relu');
  });

  it('normalises each channel over the batch while training: mean 0, variance 1, then γ and β', () => {
    const net = new LayerStack('conv 3 3x3 tanh, bn, softmax 2', { c: 1, h: 5, w: 5 });
    const rng = new Rng(2);
    net.init(rng);
    const bn = net.layers[1] as BatchNorm;
    bn.gamma.set([2, 1, 0.5]);
    bn.beta.set([1, 0, -1]);
    const m = 6;
    const { x } = batchFor(net, m, rng);
    net.forward(x, m, true);
    const y = net.layerOutput(1, m);
    const P = 9;
    for (let c = 0; c < 3; c++) {
      const values: number[] = [];
      for (let s = 0; s < m; s++) for (let p = 0; p < P; p++) values.push(y[(s * 3 + c) * P + p]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
      expect(mean).toBeCloseTo(bn.beta[c], 4);
      expect(variance).toBeCloseTo(bn.gamma[c] ** 2, 2); // (σ²/(σ² + ε))·γ²
    }
  });

  it('keeps running averages (momentum 0.1, unbiased σ²) and evaluates with them: one image, any batch, same output', () => {
    const net = new LayerStack('fc 4 relu, bn, softmax 3', { c: 5, h: 1, w: 1 });
    const rng = new Rng(8);
    net.init(rng);
    const bn = net.layers[1] as BatchNorm;
    expect(Array.from(bn.runningMean)).toEqual([0, 0, 0, 0]);
    expect(Array.from(bn.runningVar)).toEqual([1, 1, 1, 1]);
    const m = 5;
    const { x } = batchFor(net, m, rng);
    net.forward(x, m, true);
    const a = net.layerOutput(0, m);
    for (let c = 0; c < 4; c++) {
      const v = Array.from({ length: m }, (_, s) => a[s * 4 + c]);
      const mean = v.reduce((p, q) => p + q, 0) / m;
      const unbiased = v.reduce((p, q) => p + (q - mean) ** 2, 0) / (m - 1);
      expect(bn.runningMean[c]).toBeCloseTo(0.1 * mean, 6);
      expect(bn.runningVar[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 6);
    }
    const alone = net.predict(x.subarray(0, 5)).output;
    const inBatch = net.forward(x, m).slice(0, 3);
    expectAllClose(alone, inBatch, 1e-6, 1e-6, 'evaluation uses the running averages');
    bn.runningMean.fill(0.5);
    expect(Array.from(net.predict(x.subarray(0, 5)).output)).not.toEqual(Array.from(alone));
  });

  it('frozen: a step on one example uses the running averages and keeps them; its gradients are those of the model as it evaluates', () => {
    for (const [spec, input] of [['fc 6 linear, bn tanh, fc 5 sigmoid, bn, softmax 4', { c: 7, h: 1, w: 1 }], ['conv 3 3x3 linear, bn relu, pool 2, fc 5 tanh, softmax 3', { c: 2, h: 6, w: 6 }]] as const) {
      const rng = new Rng(11);
      const net = new LayerStack(spec, input);
      net.init(rng);
      for (let i = 0; i < net.params.length; i++) net.params[i] += 0.1 * rng.gaussian();
      const bns = net.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
      for (const bn of bns) bn.runningMean.set(bn.runningMean.map(() => 0.3 * rng.gaussian())), bn.runningVar.set(bn.runningVar.map(() => 0.5 + rng.uniform()));
      const state = net.state.slice();
      const { x, y } = batchFor(net, 1, rng);
      const C = () => net.cost.fn(net.forward(x, 1), y, y.length); // evaluation mode: the running averages
      const evaluated = net.forward(x, 1).slice();
      net.frozenBatchNorm(() => {
        expect(Array.from(net.forward(x, 1, true)), 'a frozen training pass computes what evaluation does').toEqual(Array.from(evaluated));
        net.backward(net.forward(x, 1, true), y, 1);
      });
      const analytic = net.grads.slice();
      expect(analytic.every(Number.isFinite), 'one example: no division by a batch variance of 0').toBe(true);
      let worst = 0;
      for (let i = 0; i < net.params.length; i++) worst = Math.max(worst, gradientError(centralSlope(net.params, i, 2e-3, C), analytic[i]));
      expect(worst, spec).toBeLessThan(0.03);
      net.frozenBatchNorm(() => net.updateMiniBatch(net.input(1), net.target(1), 0.1));
      expect(Array.from(net.state), 'the running averages are kept').toEqual(Array.from(state));
      expect(bns.every((bn) => !bn.frozen), 'unfrozen after').toBe(true);
      // unfrozen, the same step moves the running averages
      net.updateMiniBatch(net.input(1), net.target(1), 0.1);
      expect(Array.from(net.state)).not.toEqual(Array.from(state));
    }
  });

  it('the model file keeps γ, β and the running averages; a file without them is refused', () => {
    const net = new LayerStack('conv 2 3x3 relu, bn, pool 2, fc 4 relu, bn, softmax 3', { c: 1, h: 8, w: 8 });
    const rng = new Rng(4);
    net.init(rng);
    const { x } = batchFor(net, 3, rng);
    net.forward(x, 3, true); // moves the running averages
    const text = serializeModel(net);
    const back = parseModel(text, 'bn.json').network as LayerStack;
    expect(back.spec).toBe('conv 2 3x3 relu, bn, pool 2, fc 4 relu, bn, softmax 3');
    expect(Array.from(back.params)).toEqual(Array.from(net.params));
    expect(Array.from(back.state)).toEqual(Array.from(net.state));
    expect(back.state.some((v) => v !== 0 && v !== 1)).toBe(true);
    const doc = JSON.parse(text);
    delete doc.state;
    expect(() => parseModel(JSON.stringify(doc), 'bn.json')).toThrow(/"state" must be a list of 2 objects, one per batch-norm layer/);
    doc.state = [{ mean: [0, 0], var: [1, 1] }, { mean: [0, 0, 0, 0], var: [1, 1, 1, 'x'] }];
    expect(() => parseModel(JSON.stringify(doc), 'bn.json')).toThrow(/state\[1\]\.var/);
  });

  it('trains on two threads: the same seed gives the same weights and running averages, which thread 0 keeps', async () => {
    const train = randomImages(31, 60, 8, 8);
    const spec = 'conv 3 3x3 relu, bn, pool 2, fc 8 relu, bn, softmax 10';
    const run = async () => {
      const net = new LayerStack(spec, { c: 1, h: 8, w: 8 }, await sharedBackend('wasm'));
      net.init(new Rng(5));
      const before = Array.from(net.state);
      const threads = await ThreadedSteps.start(net, train, [10], 2, spawnNodeThread);
      expect(Array.from(net.state)).toEqual(before); // making the replicas' arrays moved no running average
      try {
        sgd(net, train, { epochs: 2, miniBatchSize: 10, eta: 0.1, rng: new Rng(6), threads });
      } finally {
        await threads.close();
      }
      return net;
    };
    const [a, b] = [await run(), await run()];
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(Array.from(a.state)).toEqual(Array.from(b.state));
    // the running averages moved (thread 0's replica updated them from its half of each batch)
    const bn = a.layers[1] as BatchNorm;
    expect(bn.runningMean.some((v) => v !== 0)).toBe(true);
    expect(a.isFinite()).toBe(true);
  });
});
