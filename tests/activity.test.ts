// nn/activity.ts: the ReLU units that never turn on, counted against a plain
// count over each image's layer outputs, and against units silenced by hand.

import { describe, expect, it } from 'vitest';
import { gatherBatch } from '../src/data/dataset.js';
import { endsInRelu, reluActivity } from '../src/nn/activity.js';
import { LayerStack } from '../src/nn/stack.js';
import { Rng } from '../src/rng.js';
import { randomImages } from './fixtures.js';

const data = randomImages(5, 37); // 37: the last batch of 10 is partial

/** The reference twin: each image alone, each ReLU layer's output read back with layerOutput. */
function silentByImage(net: LayerStack): number[] {
  const on = net.layers.map((l) => new Uint8Array(l.output.c));
  for (let i = 0; i < data.count; i++) {
    const x = net.input(1);
    gatherBatch(x.data, null, 0, data, null, i, 1);
    net.forward(x.data, 1);
    net.layers.forEach((l, k) => {
      if (!endsInRelu(l)) return;
      const out = net.layerOutput(k, 1);
      const P = l.output.h * l.output.w;
      for (let c = 0; c < l.output.c; c++) for (let p = 0; p < P; p++) if (out[c * P + p] > 0) on[k][c] = 1;
    });
  }
  return net.layers.flatMap((l, k) => (endsInRelu(l) ? [on[k].reduce((n, v) => n + (v ? 0 : 1), 0)] : []));
}

describe('reluActivity: the units of each ReLU layer that stay at 0 for every image', () => {
  it('counts the units silenced by a very negative bias, and only those', () => {
    const net = new LayerStack('conv 6 5x5 relu, pool 2, fc 8 relu, softmax 10');
    net.init(new Rng(2), 'he');
    const [conv, , fc] = net.layers as unknown as [{ b: Float32Array }, unknown, { b: { data: Float32Array } }];
    conv.b.fill(100); // far above what the weights can take away: every unit on for every image
    fc.b.data.fill(1e5); // (its inputs are the maps, each about 100)
    expect(reluActivity(net, data, 10).map((a) => a.silent)).toEqual([0, 0]);
    conv.b[1] = -1e6;
    conv.b[4] = -1e6;
    fc.b.data[7] = -1e6;
    const counted = reluActivity(net, data, 10);
    expect(counted).toEqual([
      { layer: 0, describe: 'conv 6 5x5 relu', units: 6, silent: 2 },
      { layer: 2, describe: 'fc 8 relu', units: 8, silent: 1 },
    ]);
  });

  it('agrees with a count over each image alone, for the book\'s initialisation (N(0, 1) biases), batch norm and a sigmoid layer', () => {
    for (const spec of [
      'conv 8 5x5 relu, pool 2, conv 12 5x5 relu, pool 2, fc 40 relu, softmax 10',
      'conv 8 5x5 linear, pool 2, bn relu, fc 30 sigmoid, fc 20 relu, softmax 10',
    ]) {
      const net = new LayerStack(spec);
      net.init(new Rng(11));
      const counted = reluActivity(net, data, 10);
      expect(counted.map((a) => a.describe)).toEqual(net.layers.filter(endsInRelu).map((l) => l.describe));
      expect(counted.map((a) => a.silent)).toEqual(silentByImage(net));
      expect(counted.some((a) => a.silent > 0 && a.silent < a.units)).toBe(true);
    }
    // the book's start leaves some fully-connected ReLU units off for every image; He's (biases 0) fewer
    const book = new LayerStack('fc 200 relu, softmax 10');
    book.init(new Rng(3));
    const he = new LayerStack('fc 200 relu, softmax 10');
    he.init(new Rng(3), 'he');
    expect(reluActivity(book, data)[0].silent).toBeGreaterThan(reluActivity(he, data)[0].silent);
  });

  it('leaves no probe behind, and the outputs as they were', () => {
    const net = new LayerStack('conv 4 5x5 relu, pool 2, softmax 10');
    net.init(new Rng(1));
    const before = net.outputs(data);
    reluActivity(net, data);
    expect(net.layers.every((l) => l.probe === null)).toBe(true);
    expect(net.outputs(data)).toEqual(before);
    expect(reluActivity(new LayerStack('fc 10 sigmoid, softmax 10'), data)).toEqual([]);
  });
});
