// nn/init.ts: how a layer stack's weights start. Layer by layer, weights then
// biases, from the run's generator (so the same seed gives the same network):
//   'default'   weights N(0, 1/fan-in), biases N(0, 1): network2.py's
//               default_weight_initializer, per layer
//   'network3'  network3.py's: weights N(0, 1/fan-out) (a convolution's fan-out
//               is maps·k², divided by 4 when 2×2 pooling follows), biases
//               N(0, 1), and a softmax output layer all zeros
//   'he'        He et al. (2015), for ReLU networks: weights N(0, 2/fan-in) in a
//               ReLU layer (N(0, 1/fan-in) in any other, the softmax output
//               included), biases 0. With N(0, 1) biases a ReLU unit whose bias
//               draws well below 0 may never turn on: `best`'s runs ended
//               with a quarter to a third of their units never active on the
//               test images (docs/results.md)
// Layers without weights (batch norm's γ = 1, β = 0) start as they always do
// and draw nothing. The fully-connected Network's own order (all biases, then
// all weights, as network2.py draws them) is Network.random.

import type { Rng } from '../rng.js';
import { Conv, Dense, Pool, type Layer } from './layers/index.js';

export type StackInit = 'default' | 'network3' | 'he';

export function initStack(layers: readonly Layer[], rng: Rng, scheme: StackInit): void {
  layers.forEach((l, i) => {
    if (scheme === 'default' || !(l instanceof Dense || l instanceof Conv)) {
      l.init(rng);
      return;
    }
    const [w, b] = l instanceof Dense ? [l.w.data, l.b.data] : [l.w.data, l.b];
    if (scheme === 'he') {
      const gain2 = l.f !== 'softmax' && l.f.name === 'relu' ? 2 : 1;
      const scale = Math.sqrt(gain2 / l.w.cols); // fan-in: a unit's inputs, a convolution's C·k·k
      for (let j = 0; j < w.length; j++) w[j] = rng.gaussian() * scale;
      b.fill(0);
      return;
    }
    if (l instanceof Dense && l.f === 'softmax') {
      w.fill(0);
      b.fill(0);
      return;
    }
    const fanOut = l instanceof Dense ? l.units : (l.maps * l.k * l.k) / (layers[i + 1] instanceof Pool ? 4 : 1);
    const scale = Math.sqrt(1 / fanOut);
    for (let j = 0; j < w.length; j++) w[j] = rng.gaussian() * scale;
    for (let j = 0; j < b.length; j++) b[j] = rng.gaussian();
  });
}
