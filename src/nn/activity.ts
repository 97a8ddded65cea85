// nn/activity.ts: which ReLU units ever turn on. A ReLU unit whose weighted
// input is ≤ 0 for every image outputs 0 and passes no gradient back
// (f′(z) = 0 there, so BP2 gives it δ = 0 and BP3, BP4 change none of its
// weights): it has stopped learning, for good if no image can turn it on
// again (a "dead" ReLU). A convolution's unit is a feature map, on when it
// is above 0 at any position. Counting them over a set of images shows how
// much of a network is at work; with the book's N(0, 1) biases a unit whose
// bias draws well below 0 can start that way (nn/init.ts).

import type { LabelledImages } from '../data/dataset.js';
import type { Layer } from './layers/index.js';
import type { LayerStack } from './stack.js';

export interface ReluActivity {
  /** The layer's index in the stack, and what it is ("conv 32 5x5 relu", "bn relu"). */
  layer: number;
  describe: string;
  /** Its units: a dense layer's neurons, a convolution's (or its batch norm's) feature maps. */
  units: number;
  /** How many of them were never above 0 for any of the images. */
  silent: number;
}

/** Whether a layer's output is a ReLU's (a convolution's, a dense layer's, or batch norm's "bn relu"). */
export function endsInRelu(l: Layer): boolean {
  const f = (l as { f?: unknown }).f;
  return typeof f === 'object' && f !== null && (f as { name?: string }).name === 'relu';
}

/** Every ReLU layer of `net`, with how many of its units stay at 0 for every image of `data` (evaluation mode, batchSize at a time). */
export function reluActivity(net: LayerStack, data: LabelledImages, batchSize = 100): ReluActivity[] {
  const on = net.layers.map((l) => (endsInRelu(l) ? new Uint8Array(l.output.c) : null));
  net.setProbe((i, what, values) => {
    const seen = on[i];
    if (what !== 'a' || !seen) return;
    const { c: C, h, w } = net.layers[i].output;
    const P = h * w;
    const m = values.length / (C * P); // samples one after the other, C maps of P values each
    for (let c = 0; c < C; c++) {
      if (seen[c]) continue;
      for (let s = 0; s < m && !seen[c]; s++) {
        for (let p = 0, k = (s * C + c) * P; p < P; p++, k++) {
          if (values[k] > 0) {
            seen[c] = 1;
            break;
          }
        }
      }
    }
  });
  try {
    net.evaluate(data, batchSize);
  } finally {
    net.setProbe(null);
  }
  const out: ReluActivity[] = [];
  on.forEach((seen, i) => {
    if (seen) out.push({ layer: i, describe: net.layers[i].describe, units: seen.length, silent: seen.reduce((n, v) => n + (v ? 0 : 1), 0) });
  });
  return out;
}
