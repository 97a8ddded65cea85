// web/fine-tune.ts: fine-tuning a model on the user's corrections, the same
// in the page's worker and in Node (the tests): each correction repeated,
// mixed with MNIST so the network learns it without forgetting the rest; a
// few epochs at a gentle learning rate.

import type { LabelledImages } from '../src/data/dataset.js';
import { CrossEntropyCost } from '../src/nn/costs.js';
import type { LayerStack } from '../src/nn/stack.js';
import { Network } from '../src/nn/network.js';
import { sgd, type EpochResult } from '../src/nn/sgd.js';
import { Rng } from '../src/rng.js';

export const FINE_TUNE = {
  /** Each correction appears this many times in the fine-tuning set… */
  copies: 400,
  /** …among this many MNIST training images (the first ones), so the rest is not forgotten. */
  mnist: 10000,
  epochs: 3,
  /** η for a fully-connected model (with the cross-entropy cost for a sigmoid output). */
  eta: 0.5,
  /** η for a convolutional model: the book's chapter-6 η (a model's own last η may be a decayed one). */
  convEta: 0.03,
  miniBatchSize: 10,
};

export interface Correction {
  /** The 28×28 input as bytes, 0–255. */
  pixels: ArrayLike<number>;
  label: number;
}

/** The corrections, each `copies` times, then the first `mnist` training images: one set of bytes. */
export function mixCorrections(corrections: readonly Correction[], training: LabelledImages): LabelledImages {
  const n = corrections.length * FINE_TUNE.copies + FINE_TUNE.mnist;
  const pixels = training.rows * training.cols;
  const images = new Uint8Array(n * pixels);
  const labels = new Uint8Array(n);
  let at = 0;
  for (let c = 0; c < FINE_TUNE.copies; c++) {
    for (const k of corrections) {
      images.set(k.pixels, at * pixels);
      labels[at++] = k.label;
    }
  }
  images.set(training.images.subarray(0, FINE_TUNE.mnist * pixels), at * pixels);
  labels.set(training.labels.subarray(0, FINE_TUNE.mnist), at);
  return { images, labels, count: n, rows: training.rows, cols: training.cols };
}

/** How the model is fine-tuned: for the log line. */
export function fineTuneSettings(net: Network | LayerStack): string {
  if (!(net instanceof Network)) return `every layer of ${net.spec}, η = ${FINE_TUNE.convEta}`;
  return `η = ${FINE_TUNE.eta}, with the ${net.output === 'sigmoid' ? 'cross-entropy' : 'log-likelihood'} cost`;
}

/**
 * Fine-tunes `net` in place on the corrections mixed with MNIST; `onEpoch`
 * hears each epoch (the network then has its own cost again, ready to save).
 */
export function fineTune(
  net: Network | LayerStack, corrections: readonly Correction[], training: LabelledImages, test: LabelledImages, seed: number,
  onEpoch: (result: EpochResult) => void = () => {},
): void {
  const set = mixCorrections(corrections, training);
  const rng = new Rng(seed);
  if (!(net instanceof Network)) {
    // a layer stack's output error is already aᴸ − y (softmax with log-likelihood, or sigmoid with cross-entropy).
    // Batch norm stays frozen (nn/layers/batch-norm.ts): mini-batches of 10 from a few drawings repeated
    // would otherwise replace the running averages learnt from all of MNIST (and take a third longer).
    net.frozenBatchNorm(() => sgd(net, set, { epochs: FINE_TUNE.epochs, miniBatchSize: FINE_TUNE.miniBatchSize, eta: FINE_TUNE.convEta, rng, evaluation: test, onEpoch }));
    return;
  }
  // A sigmoid output learns with the cross-entropy cost (the book's chapter 3): its error
  // δᴸ = aᴸ − y has no σ′, so a confident wrong answer (a saturated output neuron) is
  // unlearnt quickly, where the quadratic cost barely moves it. A softmax output keeps
  // its log-likelihood (δᴸ = aᴸ − y already). The model keeps its own cost.
  const ownCost = net.cost;
  const tuneCost = net.output === 'sigmoid' ? CrossEntropyCost : ownCost;
  net.cost = tuneCost;
  try {
    sgd(net, set, {
      epochs: FINE_TUNE.epochs, miniBatchSize: FINE_TUNE.miniBatchSize, eta: FINE_TUNE.eta, rng, evaluation: test,
      onEpoch: (result) => {
        net.cost = ownCost;
        onEpoch(result);
        net.cost = tuneCost;
      },
    });
  } finally {
    net.cost = ownCost;
  }
}
