// The convolutional layer stack (issue 7's base): backprop through
// convolution, pooling and dense layers against finite differences; its
// dense-only case equals the chapter-1/3 Network; and a small conv net
// learns real MNIST.

import { describe, expect, it } from 'vitest';
import { gatherBatch, slice } from '../src/data/dataset.js';
import { bookSplit } from '../src/data/mnist.js';
import { LogLikelihoodCost } from '../src/nn/costs.js';
import { LayerStack } from '../src/nn/stack.js';
import { Network } from '../src/nn/network.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { Rng } from '../src/rng.js';
import { Matrix } from '../src/tensor/matrix.js';
import { centralSlope, gradientError } from './reference.js';

function gradientCheck(spec: string, input: { c: number; h: number; w: number }, seed: number) {
  const rng = new Rng(seed);
  const net = new LayerStack(spec, input);
  net.init(rng);
  const m = 3;
  const n = input.c * input.h * input.w;
  const x = new Float32Array(n * m).map(() => rng.uniform());
  const classes = net.layers[net.layers.length - 1].output.c;
  const y = new Float32Array(classes * m);
  for (let j = 0; j < m; j++) y[j * classes + rng.below(classes)] = 1;
  const C = () => net.cost.fn(net.forward(x, m), y, y.length);
  net.backward(net.forward(x, m, true), y, m);
  const analytic = net.grads.slice();
  let worst = 0;
  // a small step, so max-pooling's choice of maximum does not flip between the two sides;
  // float32 forward passes then limit the precision to a few percent (a wrong gradient is off by far more)
  for (let i = 0; i < net.params.length; i++) {
    worst = Math.max(worst, gradientError(centralSlope(net.params, i, 2e-3, C), analytic[i]));
  }
  return worst;
}

describe('backprop through the layer stack matches finite differences', () => {
  it('convolution (2 channels, 4×4 kernels, odd-sized 9×9 input), pooling, tanh dense, softmax', () => {
    expect(gradientCheck('conv 3 4x4 tanh, pool 2, fc 5 tanh, softmax 3', { c: 2, h: 9, w: 9 }, 1)).toBeLessThan(3e-2);
  });
  it('two convolutions (3×3 then 2×2) with sigmoid, a sigmoid output layer', () => {
    expect(gradientCheck('conv 3 3x3 sigmoid, conv 2 2x2 sigmoid, fc 4 sigmoid, sigmoid 3', { c: 1, h: 7, w: 8 }, 2)).toBeLessThan(3e-2);
  });
  it('1×1 kernels over 3 channels', () => {
    expect(gradientCheck('conv 2 1x1 tanh, softmax 4', { c: 3, h: 5, w: 5 }, 3)).toBeLessThan(3e-2);
  });
});

describe('the dense-only stack is the chapter-3 network', () => {
  it('same outputs and same gradients as Network for "fc 30 sigmoid, softmax 10"', () => {
    const rng = new Rng(4);
    const net = Network.random([784, 30, 10], rng, { cost: LogLikelihoodCost, init: 'default' });
    const stack = new LayerStack('fc 30 sigmoid, softmax 10');
    expect(stack.params.length).toBe(net.params.length);
    stack.params.set(net.params); // the same layout: w², b², w³, b³
    const m = 4;
    const x = new Matrix(784, m, new Float32Array(784 * m).map(() => rng.uniform()), 'col');
    const y = new Matrix(10, m, undefined, 'col');
    for (let j = 0; j < m; j++) y.set(rng.below(10), j, 1);
    const out = stack.forward(x.data, m, true);
    expect(Array.from(net.feedforward(x).data)).toEqual(Array.from(out));
    stack.backward(out, y.data, m);
    net.backprop(x, y);
    expect(Array.from(net.grads)).toEqual(Array.from(stack.grads));
    expect(net.grads.some((g) => g !== 0)).toBe(true);
  });
});

describe('a small convolutional network', () => {
  it('learns MNIST: 2,000 images, 1 epoch, above 80% on 1,000 test images; shapes as the book writes them', async () => {
    const { training, test } = bookSplit((await loadMnist()).sets);
    const train = slice(training, 0, 2000);
    const rng = new Rng(5);
    const net = new LayerStack('conv 8 5x5 relu, pool 2, fc 50 relu, softmax 10');
    expect(net.shapes()).toEqual(['conv 8 5x5 relu → 8×24×24', 'pool 2 → 8×12×12', 'fc 50 relu → 50', 'softmax 10 → 10']);
    net.init(rng);
    const m = 10;
    const x = new Float32Array(784 * m);
    const y = new Float32Array(10 * m);
    const order = new Uint32Array(train.count).map((_, i) => i);
    rng.shuffle(order);
    for (let start = 0; start < train.count; start += m) {
      gatherBatch(x, y, 10, train, order, start, m);
      net.backward(net.forward(x, m, true, rng), y, m);
      for (let i = 0; i < net.params.length; i++) net.params[i] -= (0.1 / m) * net.grads[i];
    }
    const probe = slice(test, 0, 1000);
    let right = 0;
    const xb = new Float32Array(784 * 100);
    for (let start = 0; start < probe.count; start += 100) {
      gatherBatch(xb, null, 0, probe, null, start, 100);
      const out = net.forward(xb, 100);
      for (let j = 0; j < 100; j++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (out[j * 10 + c] > out[j * 10 + best]) best = c;
        if (best === probe.labels[start + j]) right++;
      }
    }
    expect(right).toBeGreaterThan(800);
  }, 60_000);
});
