// web/train-worker.ts: training in the page, in a Web Worker so the page
// never freezes. Fetches MNIST from the page's server (/mnist/), checks each
// file against the pinned SHA-256, trains with the same sgd() and kernels as
// `npm run train` (the same seed gives the same weights), and posts progress,
// each epoch's accuracy and cost, and the model after every epoch.

import { selectBackend } from '../src/backend.js';
import { slice } from '../src/data/dataset.js';
import { MNIST } from '../src/data/datasets.js';
import { verifyFile } from '../src/data/fetch.js';
import { bookSplit, decodeMnist, type MnistFileKey, type NamedBytes } from '../src/data/mnist.js';
import { serializeModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { sgd } from '../src/nn/sgd.js';
import { Rng } from '../src/rng.js';

export interface TrainRequest {
  hidden: number;
  epochs: number;
  miniBatchSize: number;
  eta: number;
  seed: number;
  trainSize: number;
}

export type TrainMessage =
  | { kind: 'status'; text: string }
  | { kind: 'progress'; epoch: number; done: number; total: number }
  | { kind: 'epoch'; epoch: number; correct: number; total: number; cost: number; seconds: number; model: string }
  | { kind: 'done' }
  | { kind: 'error'; text: string };

const post = (m: TrainMessage) => self.postMessage(m);

async function loadMnist() {
  const files = {} as Record<MnistFileKey, NamedBytes>;
  for (const [key, file] of Object.entries(MNIST.files) as [MnistFileKey, (typeof MNIST.files)[MnistFileKey]][]) {
    post({ kind: 'status', text: `loading ${file.name}…` });
    const url = new URL(`/mnist/${file.name}`, self.location.href).href;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    await verifyFile(file, key, bytes, url);
    files[key] = { name: url, bytes };
  }
  return bookSplit(await decodeMnist(files));
}

self.onmessage = async (e: MessageEvent<TrainRequest>) => {
  const r = e.data;
  try {
    const backend = await selectBackend('auto');
    const { training, test } = await loadMnist();
    const train = slice(training, 0, Math.min(r.trainSize, training.count));
    post({ kind: 'status', text: `training 784-${r.hidden}-10 on ${train.count} images (${backend.name} kernels)…` });
    const rng = new Rng(r.seed);
    const net = Network.random([784, r.hidden, 10], rng);
    let lastProgress = 0;
    sgd(net, train, {
      epochs: r.epochs,
      miniBatchSize: r.miniBatchSize,
      eta: r.eta,
      rng,
      evaluation: test,
      onProgress: (epoch, done, total) => {
        const now = performance.now();
        if (now - lastProgress > 50 || done === total) {
          lastProgress = now;
          post({ kind: 'progress', epoch, done, total });
        }
      },
      onEpoch: (result) => {
        post({
          kind: 'epoch',
          epoch: result.epoch,
          correct: result.correct ?? 0,
          total: result.total ?? 0,
          cost: net.totalCost(test),
          seconds: result.seconds,
          model: serializeModel(net),
        });
      },
    });
    post({ kind: 'done' });
  } catch (err) {
    post({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
  }
};
