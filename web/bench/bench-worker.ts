// web/bench/bench-worker.ts: runs the bench (or the checks) in a worker, the
// way training runs in the page: thread 0 must be allowed to block.

import { benchCase, drawingLatency, type BenchCase } from '../../src/bench.js';
import { parseModel } from '../../src/nn/model-file.js';
import { selectBackend } from '../../src/backend.js';
import { bookSplit, decodeMnist, MNIST_FILE_NAMES, type MnistFileKey, type NamedBytes } from '../../src/data/mnist.js';
import { webThreadSpawner } from '../threads.js';
import { runChecks } from './checks.js';
import { MNIST } from '../../src/data/datasets.js';
import { downloadDataset, sha256Hex } from '../../src/data/fetch.js';

export interface BenchRequest {
  mode: 'bench' | 'check' | 'fetch';
  cases: BenchCase[];
  repeats: number;
  seconds: number;
}

const spawn = webThreadSpawner(new URL('./thread-worker.js', import.meta.url));

async function loadMnist() {
  const files = {} as Record<MnistFileKey, NamedBytes>;
  for (const [key, name] of Object.entries(MNIST_FILE_NAMES) as [MnistFileKey, string][]) {
    const url = new URL(`/mnist/${name}`, self.location.href);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    files[key] = { name: String(url), bytes: new Uint8Array(await res.arrayBuffer()) };
  }
  return bookSplit(await decodeMnist(files));
}

/** The fetch loader in the browser: MNIST from the page's own server (/mirror/), verified. */
async function fetchCheck() {
  let progressEvents = 0;
  const files = await downloadDataset(MNIST, {
    mirrors: [new URL('/mirror/', self.location.href).href],
    onProgress: () => progressEvents++,
  });
  const digests: Record<string, string> = {};
  for (const [key, f] of Object.entries(files)) digests[key] = await sha256Hex(f!.bytes);
  return { digests, progressEvents, urls: Object.values(files).map((f) => f!.name) };
}

self.onmessage = async (e: MessageEvent<BenchRequest>) => {
  try {
    const req = e.data;
    if (req.mode === 'fetch') {
      self.postMessage({ checks: await fetchCheck() });
      self.postMessage({ done: true, userAgent: navigator.userAgent, isolated: self.crossOriginIsolated });
      return;
    }
    const { training, test } = await loadMnist();
    if (req.mode === 'check') {
      self.postMessage({ checks: await runChecks(training, test, spawn) });
    } else {
      for (const c of req.cases) {
        self.postMessage({ result: await benchCase(c, { training, test, repeats: req.repeats, seconds: req.seconds, spawn }) });
      }
      await selectBackend('auto'); // as the page
      const model = await (await fetch('/models/default/default.json')).text();
      self.postMessage({ latency: drawingLatency(parseModel(model, 'default.json').network) });
    }
    self.postMessage({ done: true, userAgent: navigator.userAgent, isolated: self.crossOriginIsolated });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
