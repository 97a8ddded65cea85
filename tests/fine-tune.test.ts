// Fine-tuning on the page's corrections (web/fine-tune.ts, the code the
// page's worker runs): one correction takes effect on the drawing it was
// made for, and the rest of what the network knows stays; batch norm stays
// frozen.

import { describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend.js';
import { bookSplit } from '../src/data/mnist.js';
import { digitStrokes, variant } from '../src/draw/handwriting.js';
import { strokesToInput } from '../src/draw/preprocess.js';
import { parseModel, serializeModel } from '../src/nn/model-file.js';
import { CrossEntropyCost } from '../src/nn/costs.js';
import { Network } from '../src/nn/network.js';
import { LayerStack } from '../src/nn/stack.js';
import { sgd } from '../src/nn/sgd.js';
import { loadMnist } from '../src/node/mnist-files.js';
import { Rng } from '../src/rng.js';
import { FINE_TUNE, fineTune, mixCorrections } from '../web/fine-tune.js';

describe('fine-tuning on corrections', () => {
  it('mixes each correction FINE_TUNE.copies times with the first MNIST images', () => {
    const training = { images: new Uint8Array(6000 * 4).fill(9), labels: new Uint8Array(6000).fill(3), count: 6000, rows: 2, cols: 2 };
    const set = mixCorrections([{ pixels: [1, 2, 3, 4], label: 7 }], training);
    expect(set.count).toBe(FINE_TUNE.copies + FINE_TUNE.mnist);
    expect(Array.from(set.labels.subarray(0, FINE_TUNE.copies)).every((l) => l === 7)).toBe(true);
    expect(Array.from(set.images.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(set.labels[FINE_TUNE.copies]).toBe(3);
  });

  it('keeps batch norm frozen: the running averages of training stay as they are, γ and β learn', async () => {
    await selectBackend('wasm');
    const { training, test } = bookSplit((await loadMnist()).sets);
    const net = new LayerStack('conv 4 5x5 linear, pool 2, bn relu, fc 16 linear, bn relu, softmax 10');
    const rng = new Rng(2);
    net.init(rng);
    sgd(net, { ...training, count: 2000 }, { epochs: 1, miniBatchSize: 20, eta: 0.05, rng });
    const state = net.state.slice();
    const params = net.params.slice();
    const input = strokesToInput(digitStrokes(4, variant(4, 300, 7)))!;
    fineTune(net, [{ pixels: Array.from(input, (v) => Math.round(255 * v)), label: 9 }], training, { ...test, count: 500 }, 1);
    expect(Array.from(net.state)).toEqual(Array.from(state));
    expect(Array.from(net.params)).not.toEqual(Array.from(params));
    expect(net.predict(input).digit, 'the correction is learnt').toBe(9);
  }, 120_000);

  it('one correction is read as corrected afterwards, and the test accuracy barely moves', async () => {
    await selectBackend('wasm');
    const { training, test } = bookSplit((await loadMnist()).sets);
    // the page's model after `npm run train` is chapter 1's net; ten epochs make one like it
    const rng = new Rng(1);
    const trained = Network.random([784, 30, 10], rng);
    sgd(trained, training, { epochs: 10, miniBatchSize: 10, eta: 3, rng });
    const text = serializeModel(trained);
    const base = trained.evaluate(test) / test.count;
    expect(base).toBeGreaterThan(0.9);
    for (const [digit, label] of [[7, 1], [4, 9], [2, 8]]) {
      const input = strokesToInput(digitStrokes(digit, variant(digit, 300, 7)))!;
      const pixels = Array.from(input, (v) => Math.round(255 * v));
      const net = parseModel(text, 'model').network as Network;
      const read = (n: Network) => n.predict(Array.from(pixels, (b) => b / 255)).digit;
      expect(read(net), `the drawn ${digit}`).toBe(digit);
      fineTune(net, [{ pixels, label }], training, test, 1);
      expect(read(net), `a ${digit} corrected to ${label}`).toBe(label);
      expect(net.cost).not.toBe(CrossEntropyCost); // the model keeps its own (quadratic) cost
      const after = net.evaluate(test) / test.count;
      expect(after, `test accuracy ${base} → ${after}`).toBeGreaterThanOrEqual(base - 0.01); // nothing much forgotten (measured: 0.13 points on average)
    }
  }, 120_000);
});
