// web/train-worker.ts: training in the page, in a Web Worker so the page
// never freezes. Fetches MNIST from the page's server (/mnist/), checks each
// file against the pinned SHA-256, trains with the same sgd() and kernels as
// `npm run train` (the same seed gives the same weights), and posts progress,
// each epoch's accuracy and cost, and the model after every epoch.

import { selectBackend } from '../src/backend.js';
import { slice } from '../src/data/dataset.js';
import { LayerStack } from '../src/nn/stack.js';
import { parseModel } from '../src/nn/model-file.js';
import { MNIST } from '../src/data/datasets.js';
import { verifyFile } from '../src/data/fetch.js';
import { bookSplit, decodeMnist, type MnistFileKey, type NamedBytes } from '../src/data/mnist.js';
import { serializeModel } from '../src/nn/model-file.js';
import { Network } from '../src/nn/network.js';
import { sgd } from '../src/nn/sgd.js';
import { Rng } from '../src/rng.js';
import { FINE_TUNE, fineTune, fineTuneSettings } from './fine-tune.js';

export interface TrainRequest {
  kind: 'train';
  /** A layer description (chapter 6) instead of 784-hidden-10, with its L2 λ. */
  layers?: string;
  lambda?: number;
  hidden: number;
  epochs: number;
  miniBatchSize: number;
  eta: number;
  seed: number;
  trainSize: number;
  /** Set to 1 by the page to stop after the current mini-batch (shared memory; absent where the page is not cross-origin isolated). */
  stop?: Int32Array;
}

/** Fine-tuning the current model on the user's corrections (28×28 bytes and the right digit). */
export interface FineTuneRequest {
  kind: 'finetune';
  model: string;
  corrections: { pixels: number[]; label: number }[];
  seed: number;
}



export type TrainMessage =
  | { kind: 'status'; text: string }
  | { kind: 'progress'; epoch: number; done: number; total: number }
  | { kind: 'epoch'; epoch: number; correct: number; total: number; cost: number; seconds: number; model: string }
  | { kind: 'done' }
  /** Stopped on request: the network after its last finished mini-batch, evaluated on the test set. */
  | { kind: 'stopped'; epoch: number; samples: number; correct: number; total: number; model: string }
  | { kind: 'error'; text: string };

const post = (m: TrainMessage) => self.postMessage(m);

/** Thrown from the progress callback when the page asks to stop: between two mini-batches, so the network is whole. */
class StopRequested extends Error {}

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

async function fineTuneRequest(f: FineTuneRequest): Promise<void> {
  await selectBackend('auto');
  const { training, test } = await loadMnist();
  const { network: net, meta } = parseModel(f.model, 'the current model');
  post({ kind: 'status', text: `fine-tuning on ${f.corrections.length} correction${f.corrections.length === 1 ? '' : 's'} (each ${FINE_TUNE.copies}×) and ${FINE_TUNE.mnist} MNIST images, ${fineTuneSettings(net)}…` });
  fineTune(net, f.corrections, training, test, f.seed, (result) => {
    post({ kind: 'epoch', epoch: result.epoch, correct: result.correct ?? 0, total: result.total ?? 0, cost: net.totalCost(test), seconds: result.seconds, model: serializeModel(net, meta) });
  });
  post({ kind: 'done' });
}

self.onmessage = async (e: MessageEvent<TrainRequest | FineTuneRequest>) => {
  if (e.data.kind === 'finetune') {
    await fineTuneRequest(e.data).catch((err: unknown) => post({ kind: 'error', text: err instanceof Error ? err.message : String(err) }));
    return;
  }
  const r = e.data;
  try {
    const backend = await selectBackend('auto');
    const { training, test } = await loadMnist();
    const train = slice(training, 0, Math.min(r.trainSize, training.count));
    post({ kind: 'status', text: `training ${r.layers ?? `784-${r.hidden}-10`} on ${train.count} images (${backend.name} kernels)…` });
    const rng = new Rng(r.seed);
    // the same start as npm run train: network.py's draws for 784-hidden-10, the stack's own for layers
    let net: LayerStack;
    if (r.layers) {
      net = new LayerStack(r.layers);
      net.init(rng);
    } else {
      net = Network.random([784, r.hidden, 10], rng);
    }
    let lastProgress = 0;
    let at = { epoch: 1, done: 0 };
    try {
    sgd(net, train, {
      epochs: r.epochs,
      miniBatchSize: r.miniBatchSize,
      eta: r.eta,
      lambda: r.lambda,
      rng,
      evaluation: test,
      onProgress: (epoch, done, total) => {
        at = { epoch, done };
        if (r.stop && Atomics.load(r.stop, 0) !== 0) throw new StopRequested();
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
    } catch (err) {
      if (!(err instanceof StopRequested)) throw err;
      // keep what was learnt: the network after the last finished mini-batch
      post({ kind: 'stopped', epoch: at.epoch, samples: at.done, correct: net.evaluate(test), total: test.count, model: serializeModel(net) });
      return;
    }
    post({ kind: 'done' });
  } catch (err) {
    post({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
  }
};
