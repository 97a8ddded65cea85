// The model file: round trip, network2.py's layout, and validation of
// everything on load.

import { describe, expect, it } from 'vitest';
import { CrossEntropyCost } from '../src/nn/costs.js';
import { float32ToString, ModelFileError, parseModel, serializeModel, type TrainingMeta } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { Rng } from '../src/rng.js';

const meta: TrainingMeta = {
  seed: 1, epochs: 30, epochsCompleted: 2, miniBatchSize: 10, eta: 3, shuffle: true, trainSize: 50000,
  evaluatedOn: 'test', history: [{ epoch: 1, correct: 9000, total: 10000 }, { epoch: 2, correct: 9100, total: 10000 }],
  best: { epoch: 2, correct: 9100, total: 10000 }, rngState: [1, 2, 3, 4], data: 'test',
};

describe('model file', () => {
  it('puts the weights in the memory of the backend it is given, or of the selected one', async () => {
    const { selectBackend, tsBackend, wasmKernels } = await import('../src/backend.js');
    const { LayerStack } = await import('../src/nn/stack.js');
    const fc = serializeModel(Network.random([7, 5, 3], new Rng(2)));
    const conv = new LayerStack('conv 2 3x3 relu, fc 4 sigmoid, softmax 3', { c: 1, h: 6, w: 6 });
    conv.init(new Rng(3));
    try {
      await selectBackend('wasm');
      const kernels = wasmKernels()!;
      for (const text of [fc, serializeModel(conv)]) {
        expect(kernels.owns(parseModel(text, 'm.json').network.params)).toBe(true);
        const ts = parseModel(text, 'm.json', tsBackend).network;
        expect(kernels.owns(ts.params)).toBe(false);
        expect(ts.params.buffer).toBeInstanceOf(ArrayBuffer);
      }
    } finally {
      await selectBackend('ts');
    }
  });

  it('round-trips every weight bit for bit, and the metadata', () => {
    const net = Network.random([7, 5, 3], new Rng(2), { cost: CrossEntropyCost });
    const text = serializeModel(net, meta);
    const back = parseModel(text, 'm.json') as { network: Network; meta: typeof meta };
    expect(Array.from(back.network.params)).toEqual(Array.from(net.params));
    expect(back.network.sizes).toEqual([7, 5, 3]);
    expect(back.network.cost.name).toBe('CrossEntropyCost');
    expect(back.meta).toEqual(meta);
    expect(serializeModel(back.network, back.meta)).toBe(text);
  });

  it("uses network2.py's keys and shapes: weights [n_out][n_in], biases [n_out][1]", () => {
    const net = Network.random([4, 3, 2], new Rng(3));
    const doc = JSON.parse(serializeModel(net));
    expect(doc.sizes).toEqual([4, 3, 2]);
    expect(doc.cost).toBe('QuadraticCost');
    expect(doc.weights[0]).toHaveLength(3);
    expect(doc.weights[0][0]).toHaveLength(4);
    expect(doc.biases[1]).toEqual([[expect.any(Number)], [expect.any(Number)]]);
    expect(doc.weights[1][1][2]).toBe(Number(float32ToString(net.weights[1].get(1, 2))));
  });

  it('loads a file as network2.py writes it (no format tag, no metadata)', () => {
    const text = JSON.stringify({
      sizes: [2, 2, 1],
      weights: [[[0.5, -1.25], [2, 0]], [[1, -1]]],
      biases: [[[0.1], [-0.2]], [[0.3]]],
      cost: 'CrossEntropyCost',
    });
    const { network, meta: m } = parseModel(text, 'net2.json') as { network: Network; meta: unknown };
    expect(m).toBeNull();
    expect(network.weights[0].toRows()).toEqual([[0.5, -1.25], [2, 0]]);
    expect(network.biases[1].get(0, 0)).toBeCloseTo(0.3, 7);
  });

  it('writes the shortest decimal that reads back as the same float32', () => {
    expect(float32ToString(Math.fround(0.1))).toBe('0.1');
    expect(float32ToString(Math.fround(-1.2345678))).toBe('-1.2345678');
    const r = new Rng(4);
    for (let i = 0; i < 2000; i++) {
      const v = Math.fround(r.gaussian() * 10 ** (r.below(12) - 6));
      expect(Math.fround(Number(float32ToString(v)))).toBe(v);
    }
  });

  it('rejects bad files with a message naming the file and the field', () => {
    const good = JSON.parse(serializeModel(Network.random([3, 2], new Rng(5)), meta));
    const cases: [unknown, string][] = [
      ['{not json', 'bad.json: not a model file: invalid JSON'],
      [[1, 2], 'bad.json: not a model file: expected a JSON object'],
      [{ ...good, format: 'other' }, 'format is "other", expected "digitnet-model"'],
      [{ ...good, version: 99 }, 'format version 99 is newer than this digitnet reads'],
      [{ ...good, sizes: undefined }, '"sizes" (or "layers") is missing'],
      [{ ...good, sizes: [3, -2] }, 'sizes[1] must be an integer from 1'],
      [{ ...good, sizes: [100000, 100000, 10] }, 'parameters, more than the'],
      [{ ...good, cost: 'HingeCost' }, 'cost "HingeCost" is unknown'],
      [{ ...good, weights: [] }, '"weights" must be a list of 1 matrices for sizes 3-2'],
      [{ ...good, weights: [[[1, 2, 3]]] }, 'weights[0] must have 2 rows of 3 (shape 2×3)'],
      [{ ...good, weights: [[[1, 2, 3], [1, 2]]] }, 'weights[0][1] must be a list of 3 numbers'],
      [{ ...good, weights: [[[1, 2, 3], [1, 'x', 3]]] }, 'weights[0][1][1] is "x", not a finite number'],
      [{ ...good, biases: [[[1], [null]]] }, 'biases[0][1][0] is null, not a finite number'],
      [{ ...good, meta: { ...meta, rngState: [0, 0, 0, 0] } }, 'meta.rngState must be four 32-bit unsigned integers'],
      [{ ...good, meta: { ...meta, epochs: 0 } }, 'meta.epochs must be an integer from 1 to 100000'],
      // hostile or damaged files: each refused with what is wrong, never a RangeError or a stack overflow
      [{ ...good, weights: [[[1, 2, 3], [1, 1e39, 3]]] }, 'weights[0][1][1] is 1e+39, beyond the range of a 32-bit float (±3.4e38)'],
      [{ ...good, meta: { ...meta, miniBatchSize: 1e9 } }, 'meta.miniBatchSize must be an integer from 1 to 60000; got 1000000000'],
      [{ ...good, meta: { ...meta, epochsCompleted: 31 } }, 'meta.epochsCompleted must be an integer from 0 to 30; got 31'],
      [{ ...good, meta: { ...meta, momentum: 1 } }, 'meta.momentum must be a number ≥ 0 and below 1; got 1'],
      [{ ...good, meta: { ...meta, init: 'huge' } }, 'meta.init must be "large", "default", "network3" or "he"; got "huge"'],
      [{ ...good, meta: { ...meta, augment: [] } }, 'meta.augment must be an object of distortion settings'],
      [{ ...good, meta: { ...meta, traceScale: 2.5 } }, 'meta.traceScale must be an integer from 1 to 8; got 2.5'],
      [{ ...good, meta: { ...meta, outlineBlobs: 'yes' } }, 'meta.outlineBlobs must be true or false'],
      [{ ...good, meta: { ...meta, labelSmoothing: 1 } }, 'meta.labelSmoothing must be a number ≥ 0 and below 1; got 1'],
      [{ ...good, meta: { ...meta, augment: { rotate: 12, scale: 'x' } } }, 'meta.augment.scale must be a number from 0 to 360; got "x"'],
      [{ ...good, meta: { ...meta, history: ['a'] } }, 'meta.history[0] must be {"epoch": 1 to 30, "correct": 0 to total, "total": ≥ 1}; got "a"'],
      [{ ...good, meta: { ...meta, history: [{ epoch: 1, correct: 'x', total: 0 }] } }, 'meta.history[0] must be {"epoch": 1 to 30, "correct": 0 to total, "total": ≥ 1}; got epoch 1, correct "x", total 0'],
      [{ ...good, meta: { ...meta, history: [{ epoch: 1, correct: 11, total: 10 }] } }, 'meta.history[0] must be'],
      [{ ...good, meta: { ...meta, best: { epoch: 0, correct: 1, total: 10 } } }, 'meta.best must be'],
      [`{"sizes": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, 'bad.json: not a model file: its JSON is nested more than 8 levels deep (a model file needs 4)'],
      [{ ...good, sizes: [[[[[784]]]], 10] }, 'sizes[0] must be an integer from 1 to 1048576; got a list of 1'],
      [{ layers: 'fc 100000000, softmax 10' }, "\"layers\": layer 1 'fc 100000000': 100,000,000 values per image, more than the 1,048,576 a layer may have"],
      [{ layers: 'fc 20000, fc 20000, softmax 10' }, "\"layers\": layer 2 'fc 20000': the network would need over 415,720,000 parameters, more than the 134,217,728 allowed"],
    ];
    for (const [doc, message] of cases) {
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      expect(() => parseModel(text, 'bad.json')).toThrow(ModelFileError);
      expect(() => parseModel(text, 'bad.json')).toThrow(message);
    }
  });
});
